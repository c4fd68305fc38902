// libFuzzer target: arbitrary bytes, delivered in arbitrary chunks, through
// the frame decoder, the Envelope parser and the channel's in-place reader, the
// first things that touch what a helper sends. Nothing may crash, hang or
// allocate beyond the frame limit.
#include <cstddef>
#include <cstdint>

#include "ipc/envelope_codec.h"
#include "ipc/frame_codec.h"
#include "ipc/proto/envelope.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte chooses the chunk size, so that every way a stream can be
  // split across reads is explored.
  const size_t chunk = 1 + data[0] % 64;
  ++data;
  --size;
  bulkhead::ipc::FrameDecoder decoder(/*max_frame_size=*/1 << 20);
  for (size_t offset = 0; offset < size; offset += chunk) {
    const size_t n = size - offset < chunk ? size - offset : chunk;
    decoder.Append(
        absl::string_view(reinterpret_cast<const char*>(data) + offset, n));
    for (;;) {
      auto frame = decoder.Next();
      if (!frame.ok()) return 0;  // Oversize: the decoder stays failed.
      if (!frame->has_value()) break;
      bulkhead::ipc::Envelope envelope;
      const bool parsed = envelope.ParseFromArray(
          (*frame)->data(), static_cast<int>((*frame)->size()));
      // The channel's in-place reader must agree with protobuf on every frame
      // it takes (nested Control and Error bytes are protobuf's to judge).
      bulkhead::ipc::EnvelopeView view;
      if (bulkhead::ipc::ParseCanonicalEnvelope(**frame, &view) && parsed &&
          (view.seq != envelope.seq() || view.call_id != envelope.call_id() ||
           view.is_reply != envelope.is_reply() ||
           view.has_error != envelope.has_error() ||
           (envelope.has_message() &&
            (view.type_url != envelope.message().type_url() ||
             view.value != envelope.message().value())))) {
        __builtin_trap();
      }
    }
  }
  return 0;
}
