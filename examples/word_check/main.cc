// word_check: a sandboxed spell checker that needs real files. Its helper
// sees the dictionary folder read-only at its own path (the sandbox's
// filesystem view) and has a small scratch tmpfs at /scratch; each document
// comes from the app's file broker, which opens files only under the
// documents folder. Everything else stays out of reach, both ways the helper
// tries: here, a secret file beside the two folders.
//
// The same binary is host and helper: MaybeRunHelper takes the helper path
// when the host started this program with --type=checker.
#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bulkhead/helper.h"
#include "bulkhead/host.h"
#include "word_check.pb.h"

namespace {

using word_check::CheckDocument;
using word_check::CheckResult;

constexpr char kRootFlag[] = "--word-check-root=";

// The workspace folder: the host makes it, and names it to its helpers.
std::string g_root;

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text + " ") {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word.push_back(static_cast<char>(std::tolower(c)));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  return words;
}

std::string ReadAll(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) text.append(buffer, n);
  return text;
}

// "PERMISSION_DENIED: <why>": the code and message, without the payloads.
std::string Describe(const absl::Status& status) {
  return absl::StatusCodeToString(status.code()) + ": " +
         std::string(status.message());
}

// --- The helper ------------------------------------------------------------

void SendResult(bulkhead::HelperContext& context, const CheckResult& result) {
  if (absl::Status sent = context.channel().Send(result); !sent.ok()) {
    std::fprintf(stderr, "cannot send the result: %s\n",
                 sent.ToString().c_str());
  }
}

// Checks the document `name`: the dictionary through the view, the document
// through the broker, the result written to the scratch tmpfs and read back.
void Check(bulkhead::HelperContext& context, const std::string& name) {
  auto result = std::make_shared<CheckResult>();
  result->set_name(name);
  // Not in the view: the sandbox's root has no such file.
  if (std::ifstream secret(g_root + "/secret.txt"); secret) {
    result->set_read_outside_view("read it");
  } else {
    result->set_read_outside_view(std::strerror(errno));
  }
  // Not under the broker's rule either.
  context.OpenFile(
      g_root + "/secret.txt", O_RDONLY,
      [&context, result, name](absl::StatusOr<bulkhead::ScopedHandle> secret) {
        result->set_broker_outside_rules(
            secret.ok() ? "opened it" : Describe(secret.status()));
        context.OpenFile(
            g_root + "/documents/" + name, O_RDONLY,
            [&context, result](absl::StatusOr<bulkhead::ScopedHandle> file) {
              if (!file.ok()) {
                result->set_error(Describe(file.status()));
                SendResult(context, *result);
                return;
              }
              std::set<std::string> dictionary;
              std::ifstream words(g_root + "/dictionary/words.txt");
              for (std::string word; words >> word;) dictionary.insert(word);
              const std::vector<std::string> text = Words(ReadAll(file->get()));
              result->set_words(static_cast<uint32_t>(text.size()));
              for (const std::string& word : text) {
                if (dictionary.count(word) == 0) result->add_unknown(word);
              }
              // Scratch space: the only writable place the helper has.
              const std::string note = result->name() + ": " +
                                       std::to_string(text.size()) + " words";
              std::ofstream("/scratch/last-check.txt") << note;
              std::string back;
              std::getline(std::ifstream("/scratch/last-check.txt"), back);
              result->set_scratch(back);
              SendResult(context, *result);
            });
      });
}

int CheckerMain(bulkhead::HelperContext& context) {
  // Read here, from the helper's own arguments, not in main before
  // MaybeRunHelper: a helper forked from a zygote never runs that part of
  // main with its own command line.
  for (const std::string& arg : context.launch_args()) {
    if (arg.rfind(kRootFlag, 0) == 0) g_root = arg.substr(sizeof(kRootFlag) - 1);
  }
  context.channel().On<CheckDocument>(
      [&context](const CheckDocument& document) {
        Check(context, document.name());
      });
  return context.Run();
}

// --- The app -----------------------------------------------------------------

// A fresh workspace: dictionary/words.txt, documents/*.txt and secret.txt.
std::string MakeWorkspace() {
  char root[] = "/tmp/word_check.XXXXXX";
  if (::mkdtemp(root) == nullptr) return "";
  const std::string dir = root;
  ::mkdir((dir + "/dictionary").c_str(), 0755);
  ::mkdir((dir + "/documents").c_str(), 0755);
  std::ofstream(dir + "/dictionary/words.txt")
      << "a\nand\nbroker\nfiles\nhelper\nin\nis\nit\nreads\nsandbox\nthe\n"
         "through\nview\nwrites\n";
  std::ofstream(dir + "/documents/letter.txt")
      << "The helper reads files through the broker and the view.\n";
  std::ofstream(dir + "/documents/typos.txt")
      << "The helpr writes it in the sandbx.\n";
  std::ofstream(dir + "/secret.txt") << "the app's own secret\n";
  return dir;
}

void RemoveWorkspace(const std::string& dir) {
  for (const char* file : {"/dictionary/words.txt", "/documents/letter.txt",
                           "/documents/typos.txt", "/secret.txt"}) {
    ::unlink((dir + file).c_str());
  }
  ::rmdir((dir + "/dictionary").c_str());
  ::rmdir((dir + "/documents").c_str());
  ::rmdir(dir.c_str());
}

void Print(const CheckResult& result) {
  if (!result.error().empty()) {
    std::printf("%-14s not checked: %s\n", result.name().c_str(),
                result.error().c_str());
  } else if (result.unknown().empty()) {
    std::printf("%-14s %u words, all in the dictionary\n",
                result.name().c_str(), result.words());
  } else {
    std::string unknown;
    for (const std::string& word : result.unknown()) {
      unknown += (unknown.empty() ? "" : ", ") + word;
    }
    std::printf("%-14s %u words, unknown: %s\n", result.name().c_str(),
                result.words(), unknown.c_str());
  }
  std::printf("  reading secret.txt itself: %s\n",
              result.read_outside_view().c_str());
  std::printf("  the broker opening secret.txt: %s\n",
              result.broker_outside_rules().c_str());
  if (!result.scratch().empty()) {
    std::printf("  scratch tmpfs holds: %s\n", result.scratch().c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  bulkhead::RoleRegistry roles;
  if (!roles.Add("checker", &CheckerMain).ok()) return 1;
  if (auto code = bulkhead::MaybeRunHelper(argc, argv, roles)) return *code;

  if (!bulkhead::SandboxedLaunchAvailable()) {
    std::printf(
        "no sandbox on this system: word_check shows what it keeps "
        "out, so it needs one\n");
    return 1;
  }
  g_root = MakeWorkspace();
  if (g_root.empty()) return 1;
  // The renderer preset, plus what the checker needs: the dictionary folder
  // read-only, 64 KiB of scratch, and the broker for the documents.
  absl::StatusOr<bulkhead::sandbox::SandboxPolicy> policy =
      bulkhead::sandbox::SandboxPolicyBuilder::FromPolicy(
          bulkhead::sandbox::PresetForRole("renderer"))
          .AddReadOnly(g_root + "/dictionary")
          .AddTmpfs("/scratch", 64 << 10)
          .BrokerAllowReadUnder(g_root + "/documents")
          .Build();
  if (!policy.ok()) {
    std::printf("bad policy: %s\n", policy.status().ToString().c_str());
    RemoveWorkspace(g_root);
    return 1;
  }
  bulkhead::Host::Options options;
  options.roles = &roles;
  options.helper_args = {kRootFlag + g_root};
  options.sandbox_policy_for_role = [policy = *policy](absl::string_view) {
    return policy;
  };
  absl::StatusOr<std::unique_ptr<bulkhead::Host>> created =
      bulkhead::Host::Create(options);
  if (!created.ok()) return 1;
  bulkhead::Host& host = **created;
  host.SetExitHandler([](const bulkhead::ExitInfo& exit) {
    std::printf("helper %s-%llu ended: %s\n", exit.role.c_str(),
                static_cast<unsigned long long>(exit.helper_id),
                exit.Describe().c_str());
  });

  const std::vector<std::string> documents = {"letter.txt", "typos.txt",
                                              "../secret.txt"};
  size_t answered = 0;
  int exit_code = 1;
  absl::StatusOr<bulkhead::HelperProcess*> launched = host.Launch(
      "checker", [&](absl::StatusOr<bulkhead::HelperProcess*> helper) {
        if (!helper.ok()) {
          std::printf("no helper: %s\n", helper.status().ToString().c_str());
          host.Quit();
          return;
        }
        std::printf("checking %zu documents in a sandboxed helper\n",
                    documents.size());
        (*helper)->channel().On<CheckResult>([&](const CheckResult& result) {
          Print(result);
          if (++answered < documents.size()) return;
          exit_code = 0;
          host.Shutdown(absl::Seconds(2), [&] { host.Quit(); });
        });
        for (const std::string& name : documents) {
          CheckDocument document;
          document.set_name(name);
          if (absl::Status sent = (*helper)->channel().Send(document);
              !sent.ok()) {
            std::printf("cannot send: %s\n", sent.ToString().c_str());
          }
        }
      });
  if (!launched.ok()) {
    std::printf("cannot launch: %s\n", launched.status().ToString().c_str());
  } else {
    host.Run();
  }
  created->reset();
  RemoveWorkspace(g_root);
  std::printf("%s\n", exit_code == 0 ? "done" : "failed");
  return exit_code;
}
