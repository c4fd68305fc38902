#include "host/line_buffer.h"

#include <utility>

namespace bulkhead {

LineBuffer::LineBuffer(Limits limits, LineHandler on_line)
    : limits_(limits), on_line_(std::move(on_line)) {}

void LineBuffer::Append(absl::string_view bytes) {
  while (!bytes.empty()) {
    const size_t newline = bytes.find('\n');
    absl::string_view piece =
        newline == absl::string_view::npos ? bytes : bytes.substr(0, newline);
    const size_t room = limits_.max_line_bytes - partial_.size();
    if (piece.size() > room) {
      bytes_dropped_ += piece.size() - room;
      partial_cut_ = true;
      piece = piece.substr(0, room);
    }
    partial_.append(piece.data(), piece.size());
    if (newline == absl::string_view::npos) return;
    Emit();
    bytes.remove_prefix(newline + 1);
  }
}

void LineBuffer::Finish() {
  if (!partial_.empty() || partial_cut_) Emit();
}

void LineBuffer::Emit() {
  std::string line = std::move(partial_);
  partial_.clear();
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (partial_cut_) line.append(" [...]");
  partial_cut_ = false;
  ++line_count_;
  if (on_line_) on_line_(line);
  if (limits_.lines_kept == 0) return;
  if (last_.size() == limits_.lines_kept) last_.pop_front();
  last_.push_back(std::move(line));
}

std::vector<std::string> LineBuffer::last_lines() const {
  return std::vector<std::string>(last_.begin(), last_.end());
}

}  // namespace bulkhead
