#include "host/launch/helper_environment.h"

#include <uv.h>

#include <algorithm>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/compiler.h"

namespace bulkhead {
namespace {

#if defined(_WIN32)
constexpr bool kWindows = true;
#else
constexpr bool kWindows = false;
#endif

absl::string_view NameOf(absl::string_view entry) {
  return entry.substr(0, entry.find('='));
}

// Windows' names are case-insensitive.
bool SameName(absl::string_view a, absl::string_view b) {
  return kWindows ? absl::EqualsIgnoreCase(a, b) : a == b;
}

std::optional<std::string> Lookup(const std::vector<std::string>& host,
                                  absl::string_view name) {
  for (const std::string& entry : host) {
    if (entry.find('=') != std::string::npos && SameName(NameOf(entry), name)) {
      return entry;
    }
  }
  return std::nullopt;
}

// Adds `entry` ("NAME=value"), replacing an earlier one for the same name.
void Put(std::vector<std::string>& out, std::string entry) {
  const absl::string_view name = NameOf(entry);
  for (std::string& existing : out) {
    if (SameName(NameOf(existing), name)) {
      existing = std::move(entry);
      return;
    }
  }
  out.push_back(std::move(entry));
}

}  // namespace

std::vector<std::string> RuntimeEnvironmentNames() {
  std::vector<std::string> names = {"ASAN_OPTIONS", "LSAN_OPTIONS",
                                    "UBSAN_OPTIONS", "TSAN_OPTIONS",
                                    "MSAN_OPTIONS"};
  if (kWindows) {
    names.insert(names.end(), {"SystemRoot", "windir"});
  } else {
    names.push_back("LD_LIBRARY_PATH");
  }
  return names;
}

std::vector<std::string> HostEnvironment() {
  std::vector<std::string> out;
  uv_env_item_t* items = nullptr;
  int count = 0;
  if (uv_os_environ(&items, &count) != 0) return out;
  for (int i = 0; i < count; ++i) {
    out.push_back(absl::StrCat(items[i].name, "=", items[i].value));
  }
  uv_os_free_environ(items, count);
  return out;
}

std::vector<std::string> HelperEnvironment(
    const std::vector<std::string>& entries,
    const std::vector<std::string>& host, bool sandboxed) {
  std::vector<std::string> out;
  for (const std::string& name : RuntimeEnvironmentNames()) {
    if (std::optional<std::string> entry = Lookup(host, name)) {
      Put(out, *std::move(entry));
    }
  }
  for (const std::string& entry : entries) {
    if (NameOf(entry).empty()) continue;
    if (entry.find('=') != std::string::npos) {
      Put(out, entry);
    } else if (std::optional<std::string> passed = Lookup(host, entry)) {
      Put(out, *std::move(passed));
    }
  }
  if (BH_ADDRESS_SANITIZER && sandboxed) {
    auto asan = std::find_if(out.begin(), out.end(), [](const std::string& e) {
      return NameOf(e) == "ASAN_OPTIONS";
    });
    if (asan == out.end()) {
      out.push_back("ASAN_OPTIONS=detect_leaks=0");
    } else {
      absl::StrAppend(&*asan, ":detect_leaks=0");
    }
  }
  return out;
}

std::vector<std::string> HelperEnvironment(
    const std::vector<std::string>& entries, bool sandboxed) {
  return HelperEnvironment(entries, HostEnvironment(), sandboxed);
}

}  // namespace bulkhead
