#include "browser_host/command_reader.h"

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <utility>

namespace bulkhead {

struct CommandReader::State {
  State(Host* host, Handler handler)
      : host(host), handler(std::move(handler)) {}

  // False once the reader is gone: the thread should stop. The task keeps
  // the state alive until it has run or been dropped.
  static bool Deliver(const std::shared_ptr<State>& state,
                      std::optional<std::string> line) {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (state->host == nullptr) return false;
    if (line.has_value()) ++state->in_hand;
    state->host->Post([state, line = std::move(line)]() mutable {
      state->handler(std::move(line));
    });
    return true;
  }

  // Waits until fewer than kMaxLinesAhead lines are in hand. False once the
  // reader is gone.
  static bool WaitForRoom(const std::shared_ptr<State>& state) {
    std::unique_lock<std::mutex> lock(state->mutex);
    state->room.wait(lock, [&] {
      return state->host == nullptr || state->in_hand < kMaxLinesAhead;
    });
    return state->host != nullptr;
  }

  std::mutex mutex;              // Guards `host` and `in_hand`.
  std::condition_variable room;  // `in_hand` went down, or `host` null.
  Host* host;
  size_t in_hand = 0;  // Lines handed over and not yet done.
  Handler handler;     // Runs on the loop thread only.
};

namespace {

// The next line of stdin without its newline, cut to `max` bytes (the rest of
// it read and dropped). False at the end of input with nothing read. Reads
// stdio's stdin directly: std::cin, tied to std::cout, would first flush
// stdout, and wait for the loop thread whenever it is writing there.
bool ReadLine(std::string& line, size_t max) {
  line.clear();
  int c;
  bool read = false;
  while ((c = std::getchar()) != EOF) {
    read = true;
    if (c == '\n') return true;
    if (line.size() < max) line.push_back(static_cast<char>(c));
  }
  return read;
}

}  // namespace

CommandReader::CommandReader(Host& host, Handler handler)
    : state_(std::make_shared<State>(&host, std::move(handler))) {
  std::thread([state = state_] {
    std::string line;
    while (State::WaitForRoom(state) && ReadLine(line, kMaxLineBytes + 1)) {
      if (!State::Deliver(state, std::move(line))) return;
    }
    State::Deliver(state, std::nullopt);  // End of input.
  }).detach();
}

CommandReader::~CommandReader() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->host = nullptr;
  state_->room.notify_all();
}

void CommandReader::LineDone() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  if (state_->in_hand > 0) --state_->in_hand;
  state_->room.notify_all();
}

}  // namespace bulkhead
