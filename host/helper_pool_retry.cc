// HelperPool: what a helper's death means for the tasks it held (retries,
// poison and its key table, repro files). See host/helper_pool_core.h.
#include <algorithm>
#include <list>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "host/exit_info_status.h"
#include "host/helper_pool_core.h"
#include "host/repro.h"

namespace bulkhead {

void HelperPool::Core::OnTaskHelperDied(Entry& entry, const ExitInfo& exit,
                                        bool blame) {
  ++entry.token;
  entry.worker = 0;
  int kills = 0;
  if (blame) {
    kills = ++entry.kills;
    if (!entry.options.key.empty()) {
      KeyRecord& record = TouchKey(entry.options.key);
      record.last_exit = exit;
      kills = std::max(kills, ++record.kills);
    }
    KeepRepro(entry, exit);
  }
  if (blame && kills >= options_.poison_kills) {
    ++stats_.poisoned;
    EndTask(entry.id,
            AttachExitInfo(absl::AbortedError(absl::StrCat(
                               "poison: the task killed ", kills,
                               " helpers; the last ", exit.Describe())),
                           exit));
    return;
  }
  if (entry.options.idempotent && entry.attempts < options_.max_attempts &&
      !shutting_down_ && absl::Now() < entry.deadline) {
    ++stats_.retried;
    Enqueue(entry, /*front=*/true);
    return;
  }
  EndTask(entry.id,
          AttachExitInfo(absl::UnavailableError(absl::StrCat(
                             "the helper running the task ended: ", exit.role,
                             "-", exit.helper_id, " ", exit.Describe())),
                         exit));
}

void HelperPool::Core::KeepRepro(Entry& entry, const ExitInfo& exit) {
  if (options_.repro_dir.empty()) return;
  KeyRecord* record =
      entry.options.key.empty() ? nullptr : FindKey(entry.options.key);
  if (entry.repro_path.empty() && record != nullptr) {
    entry.repro_path = record->repro_path;
  }
  if (!entry.repro_path.empty()) return;
  const google::protobuf::Message* request = entry.task->request();
  if (request == nullptr) return;
  if (stats_.repros_written >= options_.max_repro_files) {
    ++stats_.repro_write_errors;
    return;
  }
  absl::StatusOr<Repro> repro = MakeRepro(options_.role, *request, exit,
                                          options_.max_repro_request_bytes);
  if (!repro.ok()) {
    ++stats_.repro_write_errors;
    return;
  }
  // <role>-<UTC time>-<helper id>[-n].repro: the helper id is unique in this
  // host, the time across runs; a name taken already gets a number.
  const std::string stem = absl::StrCat(
      options_.repro_dir, "/", options_.role, "-",
      absl::FormatTime("%Y%m%dT%H%M%S", repro->made, absl::UTCTimeZone()), "-",
      exit.helper_id);
  WriteReproOptions write;
  write.max_request_bytes = options_.max_repro_request_bytes;
  for (int n = 0; n < 100; ++n) {
    std::string path = n == 0 ? absl::StrCat(stem, ".repro")
                              : absl::StrCat(stem, "-", n, ".repro");
    const absl::Status written = WriteRepro(path, *repro, write);
    if (absl::IsAlreadyExists(written)) continue;
    if (!written.ok()) break;
    ++stats_.repros_written;
    entry.repro_path = std::move(path);
    if (record != nullptr) record->repro_path = entry.repro_path;
    return;
  }
  ++stats_.repro_write_errors;
}

HelperPool::Core::KeyRecord* HelperPool::Core::FindKey(const std::string& key) {
  auto it = keys_.find(key);
  return it == keys_.end() ? nullptr : &it->second;
}

HelperPool::Core::KeyRecord& HelperPool::Core::TouchKey(
    const std::string& key) {
  auto it = keys_.find(key);
  if (it != keys_.end()) {
    key_lru_.splice(key_lru_.begin(), key_lru_, it->second.lru);
    return it->second;
  }
  while (!key_lru_.empty() && keys_.size() >= options_.remembered_keys) {
    keys_.erase(key_lru_.back());
    key_lru_.pop_back();
  }
  key_lru_.push_front(key);
  KeyRecord& record = keys_[key];
  record.lru = key_lru_.begin();
  return record;
}

}  // namespace bulkhead
