#include "sample_roles/builtin_roles.h"

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "helper/diagnostics/fault_injection.h"
#include "helper/helper_context.h"
#include "sample_roles/blob_compressor.h"
#include "sample_roles/matrix_kernel.h"
#include "sample_roles/text_layout.h"
#include "sample_roles/url_parser.h"
#include "sample_roles/work.pb.h"

namespace bulkhead {
namespace roles {

namespace {

// The demo's poison input (builtin_roles.h): fails as the text asks.
absl::Status CrashIfAsked(const roles::LayoutTextRequest& request,
                          HelperContext& context) {
  absl::string_view text = request.text();
  if (!absl::ConsumePrefix(&text, kDemoCrashText)) return absl::OkStatus();
  const std::optional<ipc::FaultKind> kind = ParseFaultKind(text);
  switch (kind.value_or(ipc::FAULT_KIND_UNSPECIFIED)) {
    case ipc::FAULT_KIND_SEGV:
    case ipc::FAULT_KIND_ABORT:
    case ipc::FAULT_KIND_STACK_OVERFLOW:
    case ipc::FAULT_KIND_DIV_ZERO:
    case ipc::FAULT_KIND_HANG:
    case ipc::FAULT_KIND_EXIT: {
      ipc::Fault fault;
      fault.set_kind(*kind);
      fault.set_exit_code(1);
      return InjectFault(fault, context);
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("the demo crashes on ", kDemoCrashText,
                       "segv|abort|stack_overflow|div_zero|hang|exit, not '",
                       text.substr(0, 40), "'"));
  }
}

}  // namespace

int RendererMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      [&context](const roles::LayoutTextRequest& request)
          -> absl::StatusOr<roles::LayoutTextResponse> {
        BH_RETURN_IF_ERROR(CrashIfAsked(request, context));
        return LayoutText(request);
      });
  return context.Run();
}

int GpuMain(HelperContext& context) {
  context.channel()
      .Serve<roles::MultiplyMatricesRequest, roles::MultiplyMatricesResponse>(
          &MultiplyMatrices);
  return context.Run();
}

int UtilityMain(HelperContext& context) {
  context.channel()
      .Serve<roles::CompressBlobRequest, roles::CompressBlobResponse>(
          &CompressBlob);
  return context.Run();
}

int NetworkMain(HelperContext& context) {
  context.channel().Serve<roles::ParseUrlsRequest, roles::ParseUrlsResponse>(
      &ParseUrls);
  return context.Run();
}

}  // namespace roles

absl::Status RegisterBuiltinRoles(RoleRegistry& registry) {
  BH_RETURN_IF_ERROR(registry.Add("renderer", &roles::RendererMain));
  BH_RETURN_IF_ERROR(registry.Add("gpu", &roles::GpuMain));
  BH_RETURN_IF_ERROR(registry.Add("utility", &roles::UtilityMain));
  BH_RETURN_IF_ERROR(registry.Add("network", &roles::NetworkMain));
  return absl::OkStatus();
}

}  // namespace bulkhead
