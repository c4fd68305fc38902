// libFuzzer target: everything a helper can send its host over its channel,
// handled by the host's real receiving code: an ipc::Channel set up as
// HelperProcess sets up its own (a handle transport beside the stream, Hello
// served, Ready taken, app calls pending, shared bodies), reading arbitrary
// bytes from the helper's end and arbitrary fd batches (pipes, memfds of any
// size and seals) from its transport, then end-of-stream. Nothing may crash,
// leak or hang; every call the host made gets exactly one callback, and the
// close handler runs once.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/time/clock.h"
#include "fuzz/fuzz_fds.h"
#include "ipc/channel.h"
#include "ipc/handle_transport.h"
#include "ipc/proto/envelope.pb.h"
#include "sample_roles/work.pb.h"

namespace {

using bulkhead::ScopedHandle;
namespace ipc = bulkhead::ipc;
namespace roles = bulkhead::roles;

uv_loop_t* Loop() {
  static uv_loop_t* loop = [] {
    auto* created = new uv_loop_t;
    if (uv_loop_init(created) != 0) std::abort();
    return created;
  }();
  return loop;
}

// A memfd of `size` bytes, `fill` repeated (the input's own bytes, so that a
// shared body can be made to parse), sealed as a real sender seals it when
// `sealed`.
ScopedHandle MakeMemfd(size_t size, const uint8_t* fill, size_t fill_size,
                       bool sealed) {
  ScopedHandle fd(::memfd_create("fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.is_valid() || ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    std::abort();
  }
  if (size != 0) {
    std::vector<uint8_t> bytes(size, 0);
    for (size_t i = 0; fill_size != 0 && i < size; ++i) {
      bytes[i] = fill[i % fill_size];
    }
    if (::pwrite(fd.get(), bytes.data(), size, 0) < 0) std::abort();
  }
  if (sealed) {
    ::fcntl(fd.get(), F_ADD_SEALS,
            F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  }
  return fd;
}

}  // namespace

namespace {

int RunOne(const uint8_t* data, size_t size, bool check_fds) {
  if (size < 3) return 0;
  // data[0]: batches on the transport (bits 0-1), their kind (bit 2: memfds,
  // else pipes), handles per batch (bits 3-4), memfds sealed (bit 5), a raw
  // malformed datagram first (bit 6). data[1..2]: the memfds' size.
  const uint8_t flags = data[0];
  const size_t memfd_size = size_t{data[1]} << 8 | data[2];
  data += 3;
  size -= 3;
  uv_loop_t* const loop = Loop();
  const size_t fds_before = bulkhead::fuzz::OpenFds();
  int callbacks[3] = {};
  int closes = 0;
  {
    int stream[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stream) != 0) {
      std::abort();
    }
    ScopedHandle helper_end(stream[1]);
    absl::StatusOr<bulkhead::HandlePair> transport =
        ipc::HandleTransport::CreatePair();
    if (!transport.ok()) std::abort();

    ipc::Channel::Options options;
    options.max_frame_size = 1 << 16;
    options.shared_memory_threshold = 1024;
    options.max_shared_body_size = 1 << 20;
    std::unique_ptr<ipc::Channel> channel = ipc::Channel::Create(loop, options);
    if (!channel->Open(ScopedHandle(stream[0])).ok()) std::abort();
    channel->SetHandleTransport(std::move(transport->first));
    // HelperProcess::Start's handlers: Hello answered with Welcome, Ready
    // taken (its sandbox status is what the host shows).
    channel->ServeControl(
        ipc::Control::kHello,
        [](const ipc::Control& hello) -> absl::StatusOr<ipc::Control> {
          ipc::Control welcome;
          welcome.mutable_welcome()->set_protocol(hello.hello().protocol());
          welcome.mutable_welcome()->set_helper_id(1);
          return welcome;
        });
    channel->OnControl(ipc::Control::kReady, [](const ipc::Control& ready) {
      for (const auto& [layer, state] : ready.ready().sandbox().layers()) {
        (void)layer.size();
        (void)state.size();
      }
    });
    // An app's: one-way messages, and calls from the helper.
    channel->On<roles::LayoutTextResponse>(
        [&channel](const roles::LayoutTextResponse&) {
          (void)channel->TakeReceivedHandles();
        });
    channel->Serve<roles::LayoutTextRequest, roles::LayoutTextResponse>(
        [](const roles::LayoutTextRequest& request)
            -> absl::StatusOr<roles::LayoutTextResponse> {
          roles::LayoutTextResponse response;
          response.add_lines(request.text());
          return response;
        });
    if (!channel
             ->Start([&closes](ipc::Channel::CloseReason, const absl::Status&) {
               ++closes;
             })
             .ok()) {
      std::abort();
    }
    // Calls the host made, which the helper's bytes may answer (call ids 1,
    // 2, 3), with anything.
    const absl::Time far = absl::Now() + absl::Hours(1);
    roles::LayoutTextRequest request;
    request.set_text("fuzz");
    channel->Call<roles::LayoutTextRequest, roles::LayoutTextResponse>(
        request, far, [&callbacks](auto) { ++callbacks[0]; });
    ipc::Control ping;
    ping.mutable_ping()->set_nonce(1);
    channel->CallControl(ping, far, [&callbacks](auto) { ++callbacks[1]; });
    channel->Call<roles::LayoutTextRequest, roles::LayoutTextResponse>(
        request, far, [&callbacks](auto) { ++callbacks[2]; });

    // The helper's side: fd batches, then the bytes, then end-of-stream.
    ipc::HandleTransport sender(std::move(transport->second));
    if (flags & 0x40) {
      bulkhead::fuzz::SendRaw(sender.end(), data, size < 8 ? size : 8,
                              (flags >> 3) & 3);
    }
    for (int batch = 0; batch < (flags & 3); ++batch) {
      std::vector<ScopedHandle> handles;
      for (int i = 0; i <= ((flags >> 3) & 3); ++i) {
        if (flags & 4) {
          handles.push_back(MakeMemfd(memfd_size, data, size, flags & 0x20));
        } else {
          int pipe[2];
          if (::pipe2(pipe, O_CLOEXEC) != 0) std::abort();
          ::close(pipe[1]);
          handles.emplace_back(pipe[0]);
        }
      }
      (void)sender.Send(handles);
    }
    size_t written = 0;
    while (written < size && closes == 0) {
      const ssize_t n = ::send(helper_end.get(), data + written, size - written,
                               MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN) break;
      uv_run(loop, UV_RUN_NOWAIT);
    }
    ::shutdown(helper_end.get(), SHUT_WR);
    // Until the channel has read everything and closed (end-of-stream at the
    // latest).
    int turns = 0;
    while (closes == 0) {
      if (++turns > 100000) __builtin_trap();  // A hang.
      uv_run(loop, UV_RUN_ONCE);
    }
    channel.reset();
    uv_run(loop, UV_RUN_NOWAIT);  // The channel's close callbacks.
  }
  if (closes != 1) __builtin_trap();
  for (int count : callbacks) {
    if (count != 1) __builtin_trap();  // A call without, or with two, answers.
  }
  if (check_fds && bulkhead::fuzz::OpenFds() != fds_before) {
    __builtin_trap();  // A leak.
  }
  return 0;
}

}  // namespace

// One input first, so that what libuv and the sanitizers open once per
// process (the loop, signal pipes) is not taken for a leak of the first.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static const uint8_t kWarmUp[] = {1, 0, 4, 0, 0, 0, 0};
  return RunOne(kWarmUp, sizeof(kWarmUp), /*check_fds=*/false);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return RunOne(data, size, /*check_fds=*/true);
}
