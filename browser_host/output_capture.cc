#include "browser_host/output_capture.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace bulkhead {

OutputCapture::OutputCapture(uv_loop_t* loop, std::FILE* sink, bool forward)
    : sink_(sink),
      forward_(forward),
      lines_([this](absl::string_view line) {
        if (!forward_) return;
        // One write per line keeps lines whole among other writers.
        const std::string text = absl::StrCat(prefix_, line, "\n");
        std::fwrite(text.data(), 1, text.size(), sink_);
        std::fflush(sink_);
      }),
      reader_(loop) {}

absl::Status OutputCapture::Start(std::string prefix,
                                  absl::AnyInvocable<void()> on_eof) {
  prefix_ = std::move(prefix);
  return reader_.Start(
      [this](absl::string_view bytes) { lines_.Append(bytes); },
      [this, on_eof = std::move(on_eof)]() mutable {
        lines_.Finish();
        auto done = std::move(on_eof);
        if (done) done();  // Last: may destroy this object.
      });
}

}  // namespace bulkhead
