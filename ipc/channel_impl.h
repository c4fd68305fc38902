// Channel's private state whose types are internal (framing, the call table,
// the write queue): kept out of channel.h so that the installed headers do not
// drag those internal headers along. Included only by channel*.cc.
#ifndef BULKHEAD_IPC_CHANNEL_IMPL_H_
#define BULKHEAD_IPC_CHANNEL_IMPL_H_

#include <cstdint>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "ipc/channel.h"
#include "ipc/deferred_tasks.h"
#include "ipc/envelope_codec.h"
#include "ipc/frame_codec.h"
#include "ipc/frame_writer.h"
#include "ipc/pending_calls.h"

namespace bulkhead::ipc {

struct Channel::Impl {
  // channel.h spells the call table's completion type without including
  // pending_calls.h; the two must stay the same type.
  static_assert(
      std::is_same_v<Channel::CallCompletion, PendingCalls::Completion>);

  Impl(uv_loop_t* loop, uint32_t max_frame_size,
       absl::AnyInvocable<void(int)> on_write_done)
      : decoder(max_frame_size),
        writer(std::move(on_write_done)),
        deferred(loop) {}

  FrameDecoder decoder;
  PendingCalls calls;
  FrameWriter writer;
  // What would otherwise run inside the call that caused it: a call's failure
  // at once, and a close met while sending (its failed calls and close
  // handler). Last, so that it is destroyed first: its tasks do nothing when
  // cancelled, the destructor having failed the calls itself.
  DeferredTasks deferred;
};

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_CHANNEL_IMPL_H_
