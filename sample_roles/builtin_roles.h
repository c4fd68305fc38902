// browser_host's built-in roles. Each does a small piece of real work on
// request, so that load and isolation can be observed:
//   renderer: LayoutTextRequest -> LayoutTextResponse (word-wraps text)
//   gpu:      MultiplyMatricesRequest -> MultiplyMatricesResponse (matrices)
//   utility:  CompressBlobRequest -> CompressBlobResponse (CRC-32 + PackBits)
//   network:  ParseUrlsRequest -> ParseUrlsResponse (URL parsing)
// Every helper also answers Ping (the channel does that for any role).
//
// A demo feature, for showing what a poison input does (repro files,
// `browser_host replay`): the renderer crashes on a text that asks it to,
// kDemoCrashText followed by a fault that ends a helper ("segv", "abort",
// "stack_overflow", "div_zero", "hang", "exit"), e.g.
// "bulkhead-demo-crash:segv". Any other fault name is refused
// (InvalidArgument). Only the renderer helper does this: `LayoutText` itself
// never crashes.
#ifndef BULKHEAD_HELPER_ROLES_BUILTIN_ROLES_H_
#define BULKHEAD_HELPER_ROLES_BUILTIN_ROLES_H_

#include "absl/status/status.h"
#include "helper/role_registry.h"

namespace bulkhead {

class HelperContext;

namespace roles {

inline constexpr char kDemoCrashText[] = "bulkhead-demo-crash:";

int RendererMain(HelperContext& context);
int GpuMain(HelperContext& context);
int UtilityMain(HelperContext& context);
int NetworkMain(HelperContext& context);

}  // namespace roles

// Adds "renderer", "gpu", "utility" and "network" to `registry`.
absl::Status RegisterBuiltinRoles(RoleRegistry& registry);

}  // namespace bulkhead

#endif  // BULKHEAD_HELPER_ROLES_BUILTIN_ROLES_H_
