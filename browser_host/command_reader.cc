#include "browser_host/command_reader.h"

#include <iostream>
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
    state->host->Post([state, line = std::move(line)]() mutable {
      state->handler(std::move(line));
    });
    return true;
  }

  std::mutex mutex;  // Guards `host`.
  Host* host;
  Handler handler;  // Runs on the loop thread only.
};

CommandReader::CommandReader(Host& host, Handler handler)
    : state_(std::make_shared<State>(&host, std::move(handler))) {
  std::thread([state = state_] {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (!State::Deliver(state, std::move(line))) return;
    }
    State::Deliver(state, std::nullopt);  // End of input.
  }).detach();
}

CommandReader::~CommandReader() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->host = nullptr;
}

}  // namespace bulkhead
