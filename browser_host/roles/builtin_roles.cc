#include "helper/roles/builtin_roles.h"

#include "common/status_macros.h"
#include "helper/helper_context.h"
#include "helper/roles/blob_compressor.h"
#include "helper/roles/matrix_kernel.h"
#include "helper/roles/text_layout.h"
#include "helper/roles/url_parser.h"
#include "ipc/proto/work.pb.h"

namespace bulkhead {
namespace roles {

int RendererMain(HelperContext& context) {
  context.channel().Serve<ipc::LayoutTextRequest, ipc::LayoutTextResponse>(
      &LayoutText);
  return context.Run();
}

int GpuMain(HelperContext& context) {
  context.channel()
      .Serve<ipc::MultiplyMatricesRequest, ipc::MultiplyMatricesResponse>(
          &MultiplyMatrices);
  return context.Run();
}

int UtilityMain(HelperContext& context) {
  context.channel().Serve<ipc::CompressBlobRequest, ipc::CompressBlobResponse>(
      &CompressBlob);
  return context.Run();
}

int NetworkMain(HelperContext& context) {
  context.channel().Serve<ipc::ParseUrlsRequest, ipc::ParseUrlsResponse>(
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
