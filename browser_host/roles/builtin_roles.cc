#include "browser_host/roles/builtin_roles.h"

#include "browser_host/roles/blob_compressor.h"
#include "browser_host/roles/matrix_kernel.h"
#include "browser_host/roles/text_layout.h"
#include "browser_host/roles/url_parser.h"
#include "browser_host/roles/work.pb.h"
#include "common/status_macros.h"
#include "helper/helper_context.h"

namespace bulkhead {
namespace roles {

int RendererMain(HelperContext& context) {
  context.channel().Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      &LayoutText);
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
