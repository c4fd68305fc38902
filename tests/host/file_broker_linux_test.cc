// The file broker's decisions and opens (host/file_broker.h) against the
// tricks a hostile helper would try, with openat2 and with the component walk
// older kernels get.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "host/file_broker.h"

namespace bulkhead {
namespace {

namespace fs = std::filesystem;

class FileBrokerTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    ForceBrokerComponentWalkForTesting(GetParam());
    dir_ = fs::path(::testing::TempDir()) /
           absl::StrCat("bulkhead-broker-", ::getpid(), "-",
                        reinterpret_cast<uintptr_t>(this));
    fs::create_directories(dir_ / "ro" / "sub");
    fs::create_directories(dir_ / "rw");
    std::ofstream(dir_ / "ro" / "a.txt") << "alpha";
    std::ofstream(dir_ / "secret.txt") << "secret";
    std::ofstream(dir_ / "exact.txt") << "exact";
  }
  void TearDown() override {
    ForceBrokerComponentWalkForTesting(false);
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  FileBroker Broker(FileBroker::RateLimit rate = {}) {
    return FileBroker({{(dir_ / "ro").string(), true, false},
                       {(dir_ / "rw").string(), true, true},
                       {(dir_ / "exact.txt").string(), false, false}},
                      rate);
  }

  absl::StatusOr<ScopedHandle> Open(const std::string& path, int flags) {
    FileBroker broker = Broker();
    return broker.Open(path, flags, absl::Now());
  }

  static std::string Read(const ScopedHandle& file) {
    char buffer[64];
    const ssize_t n = ::read(file.get(), buffer, sizeof(buffer));
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
  }

  std::string In(const std::string& relative) {
    return (dir_ / relative).string();
  }

  fs::path dir_;
};

TEST_P(FileBrokerTest, OpensAFileBeneathAReadRuleAndAnExactOne) {
  absl::StatusOr<ScopedHandle> file = Open(In("ro/a.txt"), O_RDONLY);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(Read(*file), "alpha");
  EXPECT_EQ(::fcntl(file->get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ(::fcntl(file->get(), F_GETFL) & O_NONBLOCK, 0);
  absl::StatusOr<ScopedHandle> exact = Open(In("exact.txt"), O_RDONLY);
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(Read(*exact), "exact");
}

TEST_P(FileBrokerTest, RefusesPathsOutsideTheRules) {
  for (const std::string& path :
       {In("secret.txt"), In("ro/../secret.txt"), In("ro/./a.txt"),
        In("ro//a.txt"), std::string("ro/a.txt"), In("ro"), In("ro2/a.txt"),
        std::string("/proc/self/fd/0"), std::string("/etc/passwd"),
        In("exact.txt/x")}) {
    absl::StatusOr<ScopedHandle> file = Open(path, O_RDONLY);
    EXPECT_TRUE(absl::IsPermissionDenied(file.status()))
        << path << ": " << file.status();
  }
}

TEST_P(FileBrokerTest, RefusesASymlinkPlantedInsideThatLeadsOut) {
  fs::create_symlink(dir_ / "secret.txt", dir_ / "ro" / "link.txt");
  fs::create_directory_symlink(dir_, dir_ / "ro" / "up");
  fs::create_symlink("/proc/self/fd/0", dir_ / "ro" / "magic");
  for (const std::string& path :
       {In("ro/link.txt"), In("ro/up/secret.txt"), In("ro/magic")}) {
    absl::StatusOr<ScopedHandle> file = Open(path, O_RDONLY);
    EXPECT_TRUE(absl::IsPermissionDenied(file.status()))
        << path << ": " << file.status();
  }
}

TEST_P(FileBrokerTest, RefusesAFifoWithoutBlocking) {
  ASSERT_EQ(::mkfifo(In("ro/fifo").c_str(), 0600), 0);
  absl::StatusOr<ScopedHandle> file = Open(In("ro/fifo"), O_RDONLY);
  EXPECT_TRUE(absl::IsPermissionDenied(file.status())) << file.status();
  EXPECT_NE(file.status().message().find("regular"), std::string::npos);
}

TEST_P(FileBrokerTest, RefusesWritingUnderAReadRule) {
  for (int flags : {O_WRONLY, O_RDWR, O_RDONLY | O_CREAT, O_RDONLY | O_TRUNC,
                    O_WRONLY | O_APPEND}) {
    absl::StatusOr<ScopedHandle> file = Open(In("ro/a.txt"), flags);
    EXPECT_TRUE(absl::IsPermissionDenied(file.status()))
        << flags << ": " << file.status();
  }
  EXPECT_TRUE(absl::IsPermissionDenied(
      Open(In("ro/new.txt"), O_WRONLY | O_CREAT).status()));
  EXPECT_FALSE(fs::exists(dir_ / "ro" / "new.txt"));
}

TEST_P(FileBrokerTest, RefusesFlagsBeyondAFile) {
  for (int flags : {O_PATH, O_DIRECTORY, O_TMPFILE | O_RDWR, O_NOATIME,
                    O_WRONLY | O_RDWR | O_RDONLY | 3}) {
    absl::StatusOr<ScopedHandle> file = Open(In("rw"), flags);
    EXPECT_TRUE(absl::IsPermissionDenied(file.status()))
        << flags << ": " << file.status();
  }
}

TEST_P(FileBrokerTest, CreatesAPrivateFileUnderAWriteRule) {
  absl::StatusOr<ScopedHandle> file =
      Open(In("rw/made.txt"), O_WRONLY | O_CREAT | O_TRUNC);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(::write(file->get(), "x", 1), 1);
  struct stat st;
  ASSERT_EQ(::stat(In("rw/made.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_P(FileBrokerTest, AHelperThatAsksTooFastIsTurnedAway) {
  FileBroker broker = Broker({.per_second = 10, .burst = 5});
  const absl::Time now = absl::Now();
  int exhausted = 0;
  for (int i = 0; i < 8; ++i) {
    if (absl::IsResourceExhausted(
            broker.Open(In("ro/a.txt"), O_RDONLY, now).status())) {
      ++exhausted;
    }
  }
  EXPECT_EQ(exhausted, 3);
  // A second later the bucket has refilled.
  EXPECT_TRUE(
      broker.Open(In("ro/a.txt"), O_RDONLY, now + absl::Seconds(1)).ok());
}

INSTANTIATE_TEST_SUITE_P(Resolution, FileBrokerTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "ComponentWalk" : "Openat2";
                         });

}  // namespace
}  // namespace bulkhead
