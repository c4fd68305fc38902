// The Envelope's wire form, written and read without building an `Envelope`
// or an `Any`: the channel's steady-state path, which allocates nothing per
// message. Pure functions from values to bytes and back, no I/O (fuzzable).
//
// The writer's output is byte for byte what protobuf serializes for the same
// Envelope. The reader takes only the canonical layout (each field at most
// once, no unknown fields, ASCII type URL); for anything else it says so and
// the caller parses the frame with protobuf, so that every frame is judged
// exactly as protobuf judges it.
#ifndef BULKHEAD_IPC_ENVELOPE_CODEC_H_
#define BULKHEAD_IPC_ENVELOPE_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/protobuf/message.h"
#include "ipc/proto/envelope.pb.h"

namespace bulkhead::ipc {

// The prefix of the type URL an `Any` gets from `PackFrom`.
inline constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com/";

// What one outgoing frame holds. Exactly one of `message`, `control` and
// `error` is set (not owned; they must outlive the call that takes this).
struct OutgoingEnvelope {
  uint64_t seq = 0;
  uint64_t call_id = 0;
  bool is_reply = false;
  // An application message, carried as an `Any`.
  const google::protobuf::Message* message = nullptr;
  // `message->ByteSizeLong()` when the caller has it already; -1: not yet.
  int64_t message_size = -1;
  const Control* control = nullptr;
  // A failed call's status (not OK).
  const absl::Status* error = nullptr;
  // Handles sent beside the frame, and (non-zero) the size of the shared
  // memory region that holds `message`'s bytes instead of the frame.
  uint32_t attached_handles = 0;
  uint64_t shared_body_size = 0;
  uint32_t shared_region_id = 0;
  uint64_t shared_region_size = 0;
  // Windows: the attached handles' values (Envelope.handle_values).
  absl::Span<const uint64_t> handle_values;
};

// Appends one frame (length header, then the serialized Envelope) to `out`,
// serializing the body straight into it. InvalidArgument, with `out`
// unchanged, when the Envelope would exceed `max_frame_size`.
absl::Status AppendEnvelopeFrame(const OutgoingEnvelope& envelope,
                                 uint32_t max_frame_size, std::string* out);

// An Envelope read in place: the views point into the frame it was parsed
// from (or into the `Envelope` it was taken from) and live as long as it.
struct EnvelopeView {
  enum class Body { kNone, kControl, kMessage };
  uint64_t seq = 0;
  uint64_t call_id = 0;
  bool is_reply = false;
  Body body = Body::kNone;
  // Body::kControl: the serialized `Control`, not yet validated.
  absl::string_view control;
  // Body::kMessage: the `Any`'s fields.
  absl::string_view type_url;
  absl::string_view value;
  // The serialized `Error`, not yet validated; meaningful when `has_error`.
  bool has_error = false;
  absl::string_view error;
  // Handles that came beside the frame; the size of the shared body (0: the
  // body is `value`).
  uint32_t attached_handles = 0;
  uint64_t shared_body_size = 0;
  uint32_t shared_region_id = 0;
  uint64_t shared_region_size = 0;
  // Envelope.handle_values as on the wire: 8 little-endian bytes each.
  absl::string_view handle_values;
};

// Parses `frame` into `view` when it is in the canonical layout; false when it
// is not (including when it is not an Envelope at all): then parse it with
// protobuf.
bool ParseCanonicalEnvelope(absl::string_view frame, EnvelopeView* view);

// A view of `envelope`'s fields; `scratch` receives the serialized Control or
// Error, which the view points into (both must outlive the view).
EnvelopeView ViewOfEnvelope(const Envelope& envelope, std::string* scratch);

// The values in `envelope.handle_values`.
std::vector<uint64_t> HandleValuesOf(const EnvelopeView& envelope);

// The full type name in a type URL ("type.googleapis.com/pkg.Type" ->
// "pkg.Type").
absl::string_view TypeNameOfUrl(absl::string_view type_url);

// True when `type_url` names `full_name`, as `Any::Is` decides.
bool TypeUrlIs(absl::string_view type_url, absl::string_view full_name);

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_ENVELOPE_CODEC_H_
