// Both ends of a new HandleTransport, for the transport's tests.
#ifndef BULKHEAD_TESTS_IPC_TRANSPORT_PAIR_H_
#define BULKHEAD_TESTS_IPC_TRANSPORT_PAIR_H_

#include <utility>

#include "gtest/gtest.h"
#include "ipc/handle_transport.h"

namespace bulkhead::ipc::testing {

struct Transports {
  HandleTransport end_a;  // Not `near`: <windows.h> defines it away.
  HandleTransport end_b;
};

inline Transports MakeTransports() {
  absl::StatusOr<HandlePair> pair = HandleTransport::CreatePair();
  EXPECT_TRUE(pair.ok()) << pair.status();
  return {HandleTransport(std::move(pair->first)),
          HandleTransport(std::move(pair->second))};
}

}  // namespace bulkhead::ipc::testing

#endif  // BULKHEAD_TESTS_IPC_TRANSPORT_PAIR_H_
