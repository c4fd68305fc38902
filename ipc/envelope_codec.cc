#include "ipc/envelope_codec.h"

#include <bit>
#include <cstdint>
#include <cstring>

#include "absl/strings/match.h"
#include "ipc/frame_codec.h"
#include "ipc/handler_error.h"

namespace bulkhead::ipc {
namespace {

// Wire types and the tags of the fields written and read here.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kLengthDelimited = 2;
// Handle values are fixed64, little-endian: this host's order.
constexpr size_t kHandleValueSize = sizeof(uint64_t);
static_assert(std::endian::native == std::endian::little);
constexpr uint32_t Tag(uint32_t field, uint32_t wire_type) {
  return (field << 3) | wire_type;
}
constexpr uint32_t kSeqTag = Tag(Envelope::kSeqFieldNumber, kVarint);
constexpr uint32_t kCallIdTag = Tag(Envelope::kCallIdFieldNumber, kVarint);
constexpr uint32_t kIsReplyTag = Tag(Envelope::kIsReplyFieldNumber, kVarint);
constexpr uint32_t kControlTag =
    Tag(Envelope::kControlFieldNumber, kLengthDelimited);
constexpr uint32_t kMessageTag =
    Tag(Envelope::kMessageFieldNumber, kLengthDelimited);
constexpr uint32_t kErrorTag =
    Tag(Envelope::kErrorFieldNumber, kLengthDelimited);
constexpr uint32_t kAttachedHandlesTag =
    Tag(Envelope::kAttachedHandlesFieldNumber, kVarint);
constexpr uint32_t kSharedBodySizeTag =
    Tag(Envelope::kSharedBodySizeFieldNumber, kVarint);
constexpr uint32_t kSharedRegionIdTag =
    Tag(Envelope::kSharedRegionIdFieldNumber, kVarint);
constexpr uint32_t kSharedRegionSizeTag =
    Tag(Envelope::kSharedRegionSizeFieldNumber, kVarint);
constexpr uint32_t kHandleValuesTag =
    Tag(Envelope::kHandleValuesFieldNumber, kLengthDelimited);
constexpr uint32_t kTypeUrlTag = Tag(1, kLengthDelimited);
constexpr uint32_t kValueTag = Tag(2, kLengthDelimited);
constexpr uint32_t kErrorCodeTag = Tag(Error::kCodeFieldNumber, kVarint);
constexpr uint32_t kErrorFromHandlerTag =
    Tag(Error::kFromHandlerFieldNumber, kVarint);
constexpr uint32_t kErrorMessageTag =
    Tag(Error::kMessageFieldNumber, kLengthDelimited);

size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

char* PutVarint(uint64_t value, char* p) {
  while (value >= 0x80) {
    *p++ = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  *p++ = static_cast<char>(value);
  return p;
}

// A length-delimited field of `size` bytes, tag included.
size_t FieldSize(size_t size) { return 1 + VarintSize(size) + size; }

char* PutBytes(uint32_t tag, absl::string_view bytes, char* p) {
  p = PutVarint(tag, p);
  p = PutVarint(bytes.size(), p);
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  return p + bytes.size();
}

// Reads a varint of at most 10 bytes whose value fits in 64 bits; false
// otherwise (protobuf's own rules for overlong varints are left to protobuf).
bool GetVarint(const char*& p, const char* end, uint64_t* value) {
  if (p < end && static_cast<uint8_t>(*p) < 0x80) {  // One byte: most of them.
    *value = static_cast<uint8_t>(*p++);
    return true;
  }
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    const auto byte = static_cast<uint8_t>(*p++);
    if (shift == 63 && byte > 1) return false;
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) {
      *value = result;
      return true;
    }
  }
  return false;
}

bool GetBytes(const char*& p, const char* end, absl::string_view* bytes) {
  uint64_t size;
  if (!GetVarint(p, end, &size) || size > static_cast<uint64_t>(end - p))
    return false;
  *bytes = absl::string_view(p, size);
  p += size;
  return true;
}

bool IsAscii(absl::string_view text) {
  // Eight bytes at a time: a type URL is read for every message.
  const char* p = text.data();
  size_t left = text.size();
  uint64_t high_bits = 0;
  for (; left >= 8; p += 8, left -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    high_bits |= word;
  }
  for (; left > 0; ++p, --left) high_bits |= static_cast<uint8_t>(*p);
  return (high_bits & 0x8080808080808080ull) == 0;
}

bool ParseCanonicalAny(absl::string_view any, EnvelopeView* view) {
  const char* p = any.data();
  const char* const end = p + any.size();
  bool seen_url = false, seen_value = false;
  while (p < end) {
    uint64_t tag;
    if (!GetVarint(p, end, &tag)) return false;
    if (tag == kTypeUrlTag && !seen_url) {
      seen_url = true;
      if (!GetBytes(p, end, &view->type_url) || !IsAscii(view->type_url))
        return false;
    } else if (tag == kValueTag && !seen_value) {
      seen_value = true;
      if (!GetBytes(p, end, &view->value)) return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status AppendEnvelopeFrame(const OutgoingEnvelope& envelope,
                                 uint32_t max_frame_size, std::string* out) {
  size_t size = 0;
  if (envelope.seq != 0) size += 1 + VarintSize(envelope.seq);
  if (envelope.call_id != 0) size += 1 + VarintSize(envelope.call_id);
  if (envelope.is_reply) size += 2;
  // The body's pieces, sized before anything is written.
  absl::string_view type_name;
  size_t value_size = 0, any_size = 0, control_size = 0, error_size = 0;
  if (envelope.message != nullptr) {
    type_name = envelope.message->GetDescriptor()->full_name();
    // A shared body's bytes are in its region, not here.
    if (envelope.shared_body_size == 0) {
      value_size = envelope.message_size >= 0
                       ? static_cast<size_t>(envelope.message_size)
                       : envelope.message->ByteSizeLong();
    }
    any_size = FieldSize(kTypeUrlPrefix.size() + type_name.size());
    if (value_size > 0) any_size += FieldSize(value_size);
    size += FieldSize(any_size);
  } else if (envelope.control != nullptr) {
    control_size = envelope.control->ByteSizeLong();
    size += FieldSize(control_size);
  }
  absl::string_view error_message;
  if (envelope.error != nullptr) {
    error_message = envelope.error->message();
    const auto code = static_cast<int64_t>(envelope.error->code());
    if (code != 0) error_size += 1 + VarintSize(static_cast<uint64_t>(code));
    if (!error_message.empty()) error_size += FieldSize(error_message.size());
    if (IsHandlerError(*envelope.error)) error_size += 2;
    size += FieldSize(error_size);
  }
  if (envelope.attached_handles != 0) {
    size += 1 + VarintSize(envelope.attached_handles);
  }
  if (envelope.shared_body_size != 0) {
    size += 1 + VarintSize(envelope.shared_body_size);
  }
  if (envelope.shared_region_id != 0) {
    size += 1 + VarintSize(envelope.shared_region_id);
  }
  if (envelope.shared_region_size != 0) {
    size += 1 + VarintSize(envelope.shared_region_size);
  }
  if (!envelope.handle_values.empty()) {
    size += FieldSize(envelope.handle_values.size() * kHandleValueSize);
  }
  absl::StatusOr<char*> payload = AppendFrameHeader(size, max_frame_size, out);
  if (!payload.ok()) return payload.status();
  char* p = *payload;
  if (envelope.seq != 0) p = PutVarint(envelope.seq, PutVarint(kSeqTag, p));
  if (envelope.call_id != 0)
    p = PutVarint(envelope.call_id, PutVarint(kCallIdTag, p));
  if (envelope.is_reply) p = PutVarint(1, PutVarint(kIsReplyTag, p));
  if (envelope.message != nullptr) {
    p = PutVarint(any_size, PutVarint(kMessageTag, p));
    p = PutVarint(kTypeUrlTag, p);
    p = PutVarint(kTypeUrlPrefix.size() + type_name.size(), p);
    std::memcpy(p, kTypeUrlPrefix.data(), kTypeUrlPrefix.size());
    p += kTypeUrlPrefix.size();
    std::memcpy(p, type_name.data(), type_name.size());
    p += type_name.size();
    if (value_size > 0) {
      p = PutVarint(value_size, PutVarint(kValueTag, p));
      envelope.message->SerializeWithCachedSizesToArray(
          reinterpret_cast<uint8_t*>(p));
      p += value_size;
    }
  } else if (envelope.control != nullptr) {
    p = PutVarint(control_size, PutVarint(kControlTag, p));
    envelope.control->SerializeWithCachedSizesToArray(
        reinterpret_cast<uint8_t*>(p));
    p += control_size;
  }
  if (envelope.error != nullptr) {
    p = PutVarint(error_size, PutVarint(kErrorTag, p));
    const auto code = static_cast<int64_t>(envelope.error->code());
    if (code != 0)
      p = PutVarint(static_cast<uint64_t>(code), PutVarint(kErrorCodeTag, p));
    if (!error_message.empty())
      p = PutBytes(kErrorMessageTag, error_message, p);
    if (IsHandlerError(*envelope.error))
      p = PutVarint(1, PutVarint(kErrorFromHandlerTag, p));
  }
  if (envelope.attached_handles != 0) {
    p = PutVarint(envelope.attached_handles, PutVarint(kAttachedHandlesTag, p));
  }
  if (envelope.shared_body_size != 0) {
    p = PutVarint(envelope.shared_body_size, PutVarint(kSharedBodySizeTag, p));
  }
  if (envelope.shared_region_id != 0) {
    p = PutVarint(envelope.shared_region_id, PutVarint(kSharedRegionIdTag, p));
  }
  if (envelope.shared_region_size != 0) {
    p = PutVarint(envelope.shared_region_size,
                  PutVarint(kSharedRegionSizeTag, p));
  }
  if (!envelope.handle_values.empty()) {
    p = PutVarint(envelope.handle_values.size() * kHandleValueSize,
                  PutVarint(kHandleValuesTag, p));
    const size_t bytes = envelope.handle_values.size() * kHandleValueSize;
    std::memcpy(p, envelope.handle_values.data(), bytes);
    p += bytes;
  }
  return absl::OkStatus();
}

bool ParseCanonicalEnvelope(absl::string_view frame, EnvelopeView* view) {
  *view = EnvelopeView();
  const char* p = frame.data();
  const char* const end = p + frame.size();
  uint32_t seen = 0;  // Bit n: field n was read.
  while (p < end) {
    uint64_t tag;
    if (!GetVarint(p, end, &tag) || tag > 0xff) return false;
    const uint32_t field = static_cast<uint32_t>(tag) >> 3;
    if (field >= 32 || (seen & (1u << field)) != 0) return false;
    seen |= 1u << field;
    uint64_t number;
    absl::string_view bytes;
    switch (tag) {
      case kSeqTag:
        if (!GetVarint(p, end, &view->seq)) return false;
        break;
      case kCallIdTag:
        if (!GetVarint(p, end, &view->call_id)) return false;
        break;
      case kIsReplyTag:
        if (!GetVarint(p, end, &number)) return false;
        view->is_reply = number != 0;
        break;
      case kControlTag:
        if (view->body != EnvelopeView::Body::kNone ||
            !GetBytes(p, end, &view->control)) {
          return false;
        }
        view->body = EnvelopeView::Body::kControl;
        break;
      case kMessageTag:
        if (view->body != EnvelopeView::Body::kNone ||
            !GetBytes(p, end, &bytes) || !ParseCanonicalAny(bytes, view)) {
          return false;
        }
        view->body = EnvelopeView::Body::kMessage;
        break;
      case kErrorTag:
        if (!GetBytes(p, end, &view->error)) return false;
        view->has_error = true;
        break;
      case kAttachedHandlesTag:
        // A count over 32 bits is protobuf's to judge.
        if (!GetVarint(p, end, &number) || number > UINT32_MAX) return false;
        view->attached_handles = static_cast<uint32_t>(number);
        break;
      case kSharedBodySizeTag:
        if (!GetVarint(p, end, &view->shared_body_size)) return false;
        break;
      case kSharedRegionIdTag:
        if (!GetVarint(p, end, &number) || number > UINT32_MAX) return false;
        view->shared_region_id = static_cast<uint32_t>(number);
        break;
      case kSharedRegionSizeTag:
        if (!GetVarint(p, end, &view->shared_region_size)) return false;
        break;
      case kHandleValuesTag:
        if (!GetBytes(p, end, &view->handle_values) ||
            view->handle_values.size() % kHandleValueSize != 0) {
          return false;
        }
        break;
      default:
        return false;
    }
  }
  return true;
}

EnvelopeView ViewOfEnvelope(const Envelope& envelope, std::string* scratch) {
  EnvelopeView view;
  view.seq = envelope.seq();
  view.call_id = envelope.call_id();
  view.is_reply = envelope.is_reply();
  view.attached_handles = envelope.attached_handles();
  view.shared_body_size = envelope.shared_body_size();
  view.shared_region_id = envelope.shared_region_id();
  view.shared_region_size = envelope.shared_region_size();
  scratch->clear();
  const size_t handle_values_size =
      envelope.handle_values_size() * kHandleValueSize;
  if (handle_values_size > 0) {
    scratch->append(
        reinterpret_cast<const char*>(envelope.handle_values().data()),
        handle_values_size);
  }
  size_t control_size = 0;
  if (envelope.has_control()) {
    envelope.control().AppendToString(scratch);
    control_size = scratch->size() - handle_values_size;
  }
  if (envelope.has_error()) envelope.error().AppendToString(scratch);
  // Views into `scratch` only once it has stopped growing.
  const absl::string_view scratch_view(*scratch);
  view.handle_values = scratch_view.substr(0, handle_values_size);
  switch (envelope.body_case()) {
    case Envelope::kControl:
      view.body = EnvelopeView::Body::kControl;
      view.control = scratch_view.substr(handle_values_size, control_size);
      break;
    case Envelope::kMessage:
      view.body = EnvelopeView::Body::kMessage;
      view.type_url = envelope.message().type_url();
      view.value = envelope.message().value();
      break;
    case Envelope::BODY_NOT_SET:
      break;
  }
  if (envelope.has_error()) {
    view.has_error = true;
    view.error = scratch_view.substr(handle_values_size + control_size);
  }
  return view;
}

std::vector<uint64_t> HandleValuesOf(const EnvelopeView& envelope) {
  std::vector<uint64_t> values(envelope.handle_values.size() /
                               kHandleValueSize);
  if (!values.empty()) {
    std::memcpy(values.data(), envelope.handle_values.data(),
                values.size() * kHandleValueSize);
  }
  return values;
}

absl::string_view TypeNameOfUrl(absl::string_view type_url) {
  const size_t slash = type_url.rfind('/');
  return slash == absl::string_view::npos ? type_url
                                          : type_url.substr(slash + 1);
}

bool TypeUrlIs(absl::string_view type_url, absl::string_view full_name) {
  return type_url.size() > full_name.size() &&
         type_url[type_url.size() - full_name.size() - 1] == '/' &&
         absl::EndsWith(type_url, full_name);
}

}  // namespace bulkhead::ipc
