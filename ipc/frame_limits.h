// The frame size limit's default, apart from frame_codec.h: the public
// Channel, HelperProcess and Host options name it, and this is all of the
// framing an app's includes need.
#ifndef BULKHEAD_IPC_FRAME_LIMITS_H_
#define BULKHEAD_IPC_FRAME_LIMITS_H_

#include <cstdint>

namespace bulkhead::ipc {

// Chromium's IPC caps a message at 128 MiB; payloads that large belong in
// shared memory, so the default frame limit is far lower.
inline constexpr uint32_t kDefaultMaxFrameSize = 16u << 20;

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_FRAME_LIMITS_H_
