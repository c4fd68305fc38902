#include "host/output_writer.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

namespace bulkhead {
namespace {

// How long the thread waits for more before it ends: long enough that a
// chatty helper does not start one thread per line, short enough that an
// idle host has no thread of this kind.
constexpr auto kIdleLinger = std::chrono::milliseconds(200);

}  // namespace

struct OutputWriter::State {
  State(std::FILE* sink, size_t max_queued_bytes)
      : sink(sink), max_queued_bytes(max_queued_bytes) {}

  std::FILE* const sink;
  const size_t max_queued_bytes;
  std::mutex mutex;
  std::condition_variable wake;     // Something to write, or stop.
  std::condition_variable written;  // A batch was written, or the thread ended.
  std::deque<std::string> queue;
  size_t pending_bytes = 0;  // Queued, and in the batch being written.
  uint64_t queued_batches = 0;
  uint64_t written_batches = 0;  // Written or given up on.
  uint64_t dropped_lines = 0;
  uint64_t dropped_unreported = 0;  // Since the last notice in the stream.
  bool running = false;             // A thread serves the queue.
  bool stopping = false;
};

OutputWriter& OutputWriter::Stdout() {
  static OutputWriter* writer = new OutputWriter(stdout);
  return *writer;
}

OutputWriter& OutputWriter::Stderr() {
  static OutputWriter* writer = new OutputWriter(stderr);
  return *writer;
}

OutputWriter::OutputWriter(std::FILE* sink, size_t max_queued_bytes)
    : state_(std::make_shared<State>(sink, max_queued_bytes)) {}

OutputWriter::~OutputWriter() {
  std::unique_lock<std::mutex> lock(state_->mutex);
  state_->stopping = true;
  state_->written_batches += state_->queue.size();
  state_->queue.clear();
  state_->wake.notify_all();
  state_->written.wait_for(lock, std::chrono::seconds(1),
                           [&] { return !state_->running; });
}

bool OutputWriter::Write(std::string text, size_t lines) {
  if (text.empty()) return true;
  std::lock_guard<std::mutex> lock(state_->mutex);
  if (state_->pending_bytes + text.size() > state_->max_queued_bytes) {
    state_->dropped_lines += lines;
    state_->dropped_unreported += lines;
    return false;
  }
  state_->pending_bytes += text.size();
  state_->queue.push_back(std::move(text));
  ++state_->queued_batches;
  if (state_->running) {
    state_->wake.notify_one();
  } else {
    state_->running = true;
    std::thread(&OutputWriter::Run, state_).detach();
  }
  return true;
}

bool OutputWriter::Flush(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(state_->mutex);
  const uint64_t target = state_->queued_batches;
  return state_->written.wait_for(
      lock, absl::ToChronoNanoseconds(timeout),
      [&] { return state_->written_batches >= target; });
}

uint64_t OutputWriter::dropped_lines() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->dropped_lines;
}

void OutputWriter::Run(std::shared_ptr<State> state) {
  std::unique_lock<std::mutex> lock(state->mutex);
  for (;;) {
    if (!state->wake.wait_for(lock, kIdleLinger, [&] {
          return state->stopping || !state->queue.empty();
        })) {
      break;  // Idle: a later Write starts a new thread.
    }
    if (state->stopping) break;
    std::string batch = std::move(state->queue.front());
    state->queue.pop_front();
    const size_t batch_bytes = batch.size();
    if (state->dropped_unreported > 0) {
      // Said before the lines that came after the loss.
      batch.insert(0, absl::StrCat("[bulkhead: ", state->dropped_unreported,
                                   " lines of helper output dropped: this "
                                   "stream was not read fast enough]\n"));
      state->dropped_unreported = 0;
    }
    lock.unlock();
    // Through the stream, as the host's own output goes, so that the two
    // interleave in whole lines and this flush also pushes out what the host
    // printed before.
    std::fwrite(batch.data(), 1, batch.size(), state->sink);
    std::fflush(state->sink);
    lock.lock();
    state->pending_bytes -= batch_bytes;
    ++state->written_batches;
    state->written.notify_all();
  }
  state->running = false;
  state->written.notify_all();
}

}  // namespace bulkhead
