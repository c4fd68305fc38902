// Handles really crossing a socket: a pipe's write end sent, written through
// on the far side, read back here; and peers whose batches disagree with
// their frames.
#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "ipc/handle_transport.h"

namespace bulkhead::ipc {
namespace {

struct Pipe {
  ScopedHandle read;
  ScopedHandle write;
};

Pipe MakePipe() {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  return {ScopedHandle(fds[0]), ScopedHandle(fds[1])};
}

struct Transports {
  HandleTransport near;
  HandleTransport far;
};

Transports MakeTransports() {
  absl::StatusOr<HandlePair> pair = HandleTransport::CreatePair();
  EXPECT_TRUE(pair.ok()) << pair.status();
  return {HandleTransport(std::move(pair->first)),
          HandleTransport(std::move(pair->second))};
}

TEST(HandleTransportTest, APipeSentIsWrittenThroughOnTheFarSide) {
  Transports t = MakeTransports();
  Pipe pipe = MakePipe();
  std::vector<ScopedHandle> batch;
  batch.push_back(std::move(pipe.write));
  ASSERT_TRUE(t.near.Send(batch).ok());
  batch.clear();  // Ours closed: only the far side's copy is left.

  absl::StatusOr<std::vector<ScopedHandle>> got = t.far.Receive(1);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_NE(::fcntl((*got)[0].get(), F_GETFD) & FD_CLOEXEC, 0);
  const std::string text = "through the passed pipe";
  ASSERT_EQ(::write((*got)[0].get(), text.data(), text.size()),
            static_cast<ssize_t>(text.size()));
  got->clear();  // The last write end: the reader sees end-of-file next.
  std::string read(64, '\0');
  const ssize_t n = ::read(pipe.read.get(), read.data(), read.size());
  ASSERT_GT(n, 0);
  read.resize(static_cast<size_t>(n));
  EXPECT_EQ(read, text);
  EXPECT_EQ(::read(pipe.read.get(), read.data(), 1), 0);
}

TEST(HandleTransportTest, BatchesArriveWholeAndInOrder) {
  Transports t = MakeTransports();
  std::vector<Pipe> pipes;
  for (int i = 0; i < 3; ++i) pipes.push_back(MakePipe());
  std::vector<ScopedHandle> first, second;
  first.push_back(std::move(pipes[0].write));
  second.push_back(std::move(pipes[1].write));
  second.push_back(std::move(pipes[2].write));
  ASSERT_TRUE(t.near.Send(first).ok());
  ASSERT_TRUE(t.near.Send(second).ok());
  absl::StatusOr<std::vector<ScopedHandle>> one = t.far.Receive(1);
  absl::StatusOr<std::vector<ScopedHandle>> two = t.far.Receive(2);
  ASSERT_TRUE(one.ok() && two.ok());
  // Each received end writes into the pipe it was sent as.
  ASSERT_EQ(::write((*one)[0].get(), "a", 1), 1);
  ASSERT_EQ(::write((*two)[1].get(), "c", 1), 1);
  char byte = 0;
  ASSERT_EQ(::read(pipes[0].read.get(), &byte, 1), 1);
  EXPECT_EQ(byte, 'a');
  ASSERT_EQ(::read(pipes[2].read.get(), &byte, 1), 1);
  EXPECT_EQ(byte, 'c');
}

TEST(HandleTransportTest, ABatchOfAnotherSizeIsDataLossAndClosesWhatCame) {
  Transports t = MakeTransports();
  Pipe pipe = MakePipe();
  std::vector<ScopedHandle> batch;
  batch.push_back(std::move(pipe.write));
  ASSERT_TRUE(t.near.Send(batch).ok());
  batch.clear();
  absl::StatusOr<std::vector<ScopedHandle>> got = t.far.Receive(2);
  EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
  EXPECT_NE(got.status().message().find("announced 2"), std::string::npos);
  // The handle that came was closed: the pipe has no writer left.
  char byte;
  EXPECT_EQ(::read(pipe.read.get(), &byte, 1), 0);
}

TEST(HandleTransportTest, NoBatchWaitingIsDataLossWithoutBlocking) {
  Transports t = MakeTransports();
  absl::StatusOr<std::vector<ScopedHandle>> got = t.far.Receive(1);
  EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
}

TEST(HandleTransportTest, EmptyAndOversizeBatchesAreRefused) {
  Transports t = MakeTransports();
  EXPECT_TRUE(absl::IsInvalidArgument(t.near.Send({})));
  std::vector<ScopedHandle> many;
  for (size_t i = 0; i <= HandleTransport::kMaxHandlesPerFrame; ++i) {
    many.emplace_back(::dup(STDERR_FILENO));
  }
  EXPECT_TRUE(absl::IsInvalidArgument(t.near.Send(many)));
}

TEST(HandleTransportTest, APeerThatReadsNothingGetsResourceExhausted) {
  Transports t = MakeTransports();
  Pipe pipe = MakePipe();
  std::vector<ScopedHandle> batch;
  batch.push_back(std::move(pipe.write));
  absl::Status sent;
  int batches = 0;
  // The socket's buffer fills; a send then fails instead of blocking.
  while ((sent = t.near.Send(batch)).ok() && batches < 100000) ++batches;
  EXPECT_TRUE(absl::IsResourceExhausted(sent)) << sent;
  EXPECT_GT(batches, 0);
}

}  // namespace
}  // namespace bulkhead::ipc
