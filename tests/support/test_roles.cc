#include "tests/support/test_roles.h"

#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>

#include "helper/helper_context.h"
#include "helper/roles/builtin_roles.h"
#include "ipc/frame_codec.h"
#include "ipc/proto/work.pb.h"

namespace bulkhead::testing {
namespace {

[[noreturn]] void BlockForever() {
  std::promise<void>().get_future().wait();
  std::abort();  // Unreachable.
}

// Queues `bytes` on the channel's pipe behind the channel's back; libuv keeps
// writes on one stream in order, so they precede the handler's reply.
void WriteRaw(HelperContext& context, const std::string& bytes) {
  struct RawWrite {
    uv_write_t request;
    std::string bytes;
  };
  auto* write = new RawWrite{{}, bytes};
  uv_buf_t buf = uv_buf_init(write->bytes.data(),
                             static_cast<unsigned>(write->bytes.size()));
  const int rc = uv_write(
      &write->request, reinterpret_cast<uv_stream_t*>(context.channel().pipe()),
      &buf, 1, [](uv_write_t* request, int) {
        delete reinterpret_cast<RawWrite*>(request);
      });
  if (rc != 0) std::abort();
}

std::string Frame(const ipc::Envelope& envelope) {
  std::string out;
  if (!ipc::AppendFrame(envelope, ipc::kDefaultMaxFrameSize, &out).ok())
    std::abort();
  return out;
}

std::string GarbageFor(const std::string& kind) {
  if (kind == "not-protobuf")
    return std::string("\x04\x00\x00\x00\xff\xff\xff\xff", 8);
  if (kind == "oversize") return std::string("\xff\xff\xff\x7f", 4);
  ipc::Envelope envelope;
  envelope.set_seq(1000);
  if (kind == "reply-to-nothing") {
    envelope.set_is_reply(true);
    envelope.set_call_id(12345);
    envelope.mutable_control()->mutable_pong();
  } else if (kind == "second-hello") {
    envelope.set_call_id(77);
    envelope.mutable_control()->mutable_hello()->set_protocol(
        ipc::PROTOCOL_VERSION_1);
  } else if (kind == "empty-control") {
    envelope.mutable_control();
  } else {
    std::abort();
  }
  return Frame(envelope);
}

int StallMain(HelperContext& context) {
  context.channel().Serve<ipc::LayoutTextRequest, ipc::LayoutTextResponse>(
      [](const ipc::LayoutTextRequest&)
          -> absl::StatusOr<ipc::LayoutTextResponse> { BlockForever(); });
  return context.Run();
}

int CloserMain(HelperContext& context) {
  context.channel().Serve<ipc::LayoutTextRequest, ipc::LayoutTextResponse>(
      [&context](const ipc::LayoutTextRequest&)
          -> absl::StatusOr<ipc::LayoutTextResponse> {
        context.channel().Close();
        BlockForever();
      });
  return context.Run();
}

int GarbageMain(HelperContext& context) {
  context.channel().Serve<ipc::LayoutTextRequest, ipc::LayoutTextResponse>(
      [&context](const ipc::LayoutTextRequest& request)
          -> absl::StatusOr<ipc::LayoutTextResponse> {
        WriteRaw(context, GarbageFor(request.text()));
        return ipc::LayoutTextResponse();
      });
  return context.Run();
}

int Exit7Main(HelperContext&) {
  std::fputs("exit7: first words\nexit7: about to exit with 7\n", stderr);
  return 7;
}

}  // namespace

const RoleRegistry& TestRoleRegistry() {
  static const RoleRegistry* registry = [] {
    auto* roles = new RoleRegistry;
    if (!RegisterBuiltinRoles(*roles).ok() ||
        !roles->Add("stall", &StallMain).ok() ||
        !roles->Add("closer", &CloserMain).ok() ||
        !roles->Add("garbage", &GarbageMain).ok() ||
        !roles->Add("exit7", &Exit7Main).ok()) {
      std::abort();
    }
    return roles;
  }();
  return *registry;
}

}  // namespace bulkhead::testing
