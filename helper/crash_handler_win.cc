#include <windows.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>

#include "common/process_image.h"
#include "helper/crash_handler.h"
#include "ipc/crash_record.h"

namespace bulkhead {
namespace {

HANDLE g_crash_pipe = nullptr;
uint64_t g_image_base = 0;
// abort()'s exit code in the C runtime.
constexpr int kAbortExitCode = 3;

void WriteRecord(int signal, uint32_t exception_status, uint64_t address) {
  void* pcs[ipc::kMaxCrashFrames];
  const USHORT depth = ::CaptureStackBackTrace(
      1, static_cast<DWORD>(ipc::kMaxCrashFrames), pcs, nullptr);
  uint64_t frames[ipc::kMaxCrashFrames];
  size_t count = 0;
  // The faulting instruction first: the captured stack starts in the filter.
  if (address != 0) frames[count++] = address;
  for (USHORT i = 0; i < depth && count < ipc::kMaxCrashFrames; ++i) {
    frames[count++] = reinterpret_cast<uintptr_t>(pcs[i]);
  }
  ipc::CrashRecordHeader header;
  header.signal = signal;
  header.exception_status = exception_status;
  header.fault_address = address;
  header.image_base = g_image_base;
  char record[ipc::kMaxCrashRecordBytes];
  const size_t size = ipc::EncodeCrashRecord(header, frames, count, record);
  DWORD written = 0;
  ::WriteFile(g_crash_pipe, record, static_cast<DWORD>(size), &written,
              nullptr);
}

LONG WINAPI OnUnhandledException(EXCEPTION_POINTERS* exception) {
  const EXCEPTION_RECORD* record = exception->ExceptionRecord;
  WriteRecord(0, record->ExceptionCode,
              reinterpret_cast<uintptr_t>(record->ExceptionAddress));
  // Let Windows end the process with the exception code, as it would have.
  return EXCEPTION_CONTINUE_SEARCH;
}

void OnAbort(int) {
  WriteRecord(SIGABRT, 0, 0);
  std::_Exit(kAbortExitCode);
}

}  // namespace

void WarmUpCrashUnwinder() {}

absl::Status InstallCrashHandler(ScopedHandle crash_pipe) {
  if (!crash_pipe.is_valid()) {
    return absl::InvalidArgumentError("no crash pipe");
  }
  g_image_base = MainExecutableImage().base;
  g_crash_pipe = crash_pipe.release();
  // Room for the filter to run after a stack overflow.
  ULONG guarantee = 64 * 1024;
  ::SetThreadStackGuarantee(&guarantee);
  ::SetUnhandledExceptionFilter(OnUnhandledException);
  std::signal(SIGABRT, OnAbort);
  return absl::OkStatus();
}

}  // namespace bulkhead
