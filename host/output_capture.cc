#include "host/output_capture.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/utf8.h"

namespace bulkhead {

OutputCapture::OutputCapture(uv_loop_t* loop, OutputWriter* writer)
    : writer_(writer),
      lines_([this](absl::string_view line) {
        if (writer_ == nullptr) return;
        absl::StrAppend(&forwarded_, prefix_, PrintableText(line), "\n");
        ++forwarded_lines_;
      }),
      reader_(loop) {}

void OutputCapture::Forward() {
  if (forwarded_lines_ == 0) return;
  // Whole lines in one write keep them whole among other writers.
  if (!writer_->Write(std::exchange(forwarded_, {}), forwarded_lines_)) {
    lines_dropped_ += forwarded_lines_;
  }
  forwarded_lines_ = 0;
}

absl::Status OutputCapture::Start(std::string prefix,
                                  absl::AnyInvocable<void()> on_eof) {
  prefix_ = std::move(prefix);
  return reader_.Start(
      [this](absl::string_view bytes) {
        lines_.Append(bytes);
        Forward();
      },
      [this, on_eof = std::move(on_eof)]() mutable {
        lines_.Finish();
        Forward();
        auto done = std::move(on_eof);
        if (done) done();  // Last: may destroy this object.
      });
}

}  // namespace bulkhead
