#include "helper/diagnostics/fault_injection.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/compiler.h"
#include "helper/exit_codes.h"
#include "helper/helper_context.h"
#include "helper/memory_limit.h"

namespace bulkhead {
namespace {

struct FaultName {
  ipc::FaultKind kind;
  const char* name;
};

constexpr FaultName kFaultNames[] = {
    {ipc::FAULT_KIND_SEGV, "segv"},
    {ipc::FAULT_KIND_ABORT, "abort"},
    {ipc::FAULT_KIND_STACK_OVERFLOW, "stack_overflow"},
    {ipc::FAULT_KIND_DIV_ZERO, "div_zero"},
    {ipc::FAULT_KIND_HANG, "hang"},
    {ipc::FAULT_KIND_DEADLOCK, "deadlock"},
    {ipc::FAULT_KIND_OOM, "oom"},
    {ipc::FAULT_KIND_EXIT, "exit"},
    {ipc::FAULT_KIND_BAD_MESSAGE, "bad_message"},
    {ipc::FAULT_KIND_FLOOD, "flood"},
    {ipc::FAULT_KIND_FORK_BOMB, "fork_bomb"},
    {ipc::FAULT_KIND_ESCAPE, "escape"},
};

// The fork bomb's bound: enough to show the host cleans up a process tree.
constexpr int kForkBombChildren = 16;
// Messages per loop turn while flooding.
constexpr int kFloodBurst = 1000;

// Reached through volatile pointers so that the compiler can neither prove
// the fault away nor turn the recursion into a loop.
int* volatile g_null = nullptr;
volatile int g_zero = 0;

BH_NO_SANITIZE_UNDEFINED int Recurse(int depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  int (*volatile next)(int) = &Recurse;
  return next(depth + 1) + frame[0];
}

BH_NO_SANITIZE_UNDEFINED void WriteThroughNull() { *g_null = 1; }

volatile int g_dividend = 100;

BH_NO_SANITIZE_UNDEFINED void DivideByZero() {
  // Not 1 / x: compilers rewrite that as a comparison, which never traps.
  volatile int quotient = g_dividend / g_zero;
  (void)quotient;
}

[[noreturn]] void BlockForever() {
  std::promise<void>().get_future().wait();
  std::abort();
}

[[noreturn]] void SpinForever() {
  for (volatile bool spin = true; spin;) {
  }
  std::abort();
}

[[noreturn]] void ExhaustMemory(uint64_t limit) {
  // Touch every page so that the memory is really committed.
  constexpr size_t kChunk = 16 << 20;
  std::vector<char*> hoard;
  for (uint64_t total = 0;; total += kChunk) {
    if (total > 2 * limit) {
      std::fputs("oom: the memory limit is not enforced here\n", stderr);
      std::_Exit(kExitMemoryLimitNotEnforced);
    }
    char* chunk = new char[kChunk];  // Fails into the OOM handler.
    for (size_t i = 0; i < kChunk; i += 4096) chunk[i] = 1;
    hoard.push_back(chunk);
  }
}

void WriteMalformedFrame(HelperContext& context) {
  struct RawWrite {
    uv_write_t request;
    char bytes[8] = {4, 0, 0, 0, '\xff', '\xff', '\xff', '\xff'};
  };
  auto* write = new RawWrite;
  uv_buf_t buf = uv_buf_init(write->bytes, sizeof(write->bytes));
  if (uv_write(&write->request,
               reinterpret_cast<uv_stream_t*>(context.channel().pipe()), &buf,
               1, [](uv_write_t* request, int) {
                 delete reinterpret_cast<RawWrite*>(request);
               }) != 0) {
    delete write;
  }
}

// Static storage: the helper's loop teardown closes it without a callback.
uv_idle_t g_flood;
uint64_t g_flood_sequence = 0;

void StartFlood(HelperContext& context) {
  uv_idle_init(context.loop(), &g_flood);
  g_flood.data = &context;
  uv_idle_start(&g_flood, [](uv_idle_t* idle) {
    auto* helper = static_cast<HelperContext*>(idle->data);
    ipc::FloodMessage message;
    for (int i = 0; i < kFloodBurst; ++i) {
      message.set_sequence(++g_flood_sequence);
      absl::Status sent = helper->channel().Send(message);
      if (absl::IsResourceExhausted(sent)) return;  // Backpressure: later.
      if (!sent.ok()) {
        uv_idle_stop(idle);
        return;
      }
    }
  });
}

}  // namespace

absl::Status InjectFault(const ipc::Fault& fault, HelperContext& context) {
  switch (fault.kind()) {
    case ipc::FAULT_KIND_SEGV: {
      // Called through a volatile pointer: a frame of its own in the trace.
      void (*volatile crash)() = &WriteThroughNull;
      crash();
      std::abort();  // Not reached.
    }
    case ipc::FAULT_KIND_ABORT:
      std::abort();
    case ipc::FAULT_KIND_STACK_OVERFLOW:
      std::exit(Recurse(0));  // Not reached.
    case ipc::FAULT_KIND_DIV_ZERO: {
      void (*volatile crash)() = &DivideByZero;
      crash();
      std::abort();  // Not reached where division by zero traps.
    }
    case ipc::FAULT_KIND_HANG:
      SpinForever();
    case ipc::FAULT_KIND_DEADLOCK:
      BlockForever();
    case ipc::FAULT_KIND_OOM:
      if (std::optional<uint64_t> limit = CurrentMemoryLimit()) {
        ExhaustMemory(*limit);
      }
      return absl::FailedPreconditionError(
          "refusing to exhaust memory without a memory limit");
    case ipc::FAULT_KIND_EXIT:
      std::_Exit(fault.exit_code());
    case ipc::FAULT_KIND_BAD_MESSAGE:
      WriteMalformedFrame(context);
      return absl::OkStatus();
    case ipc::FAULT_KIND_FLOOD:
      StartFlood(context);
      return absl::OkStatus();
    case ipc::FAULT_KIND_FORK_BOMB:
      return StartForkBomb(kForkBombChildren);
    default:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown fault kind ", static_cast<int>(fault.kind())));
}

std::optional<ipc::FaultKind> ParseFaultKind(absl::string_view name) {
  for (const FaultName& entry : kFaultNames) {
    if (name == entry.name) return entry.kind;
  }
  return std::nullopt;
}

const char* FaultKindName(ipc::FaultKind kind) {
  for (const FaultName& entry : kFaultNames) {
    if (kind == entry.kind) return entry.name;
  }
  return "unknown";
}

}  // namespace bulkhead
