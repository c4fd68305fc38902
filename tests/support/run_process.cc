#include "tests/support/run_process.h"

#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <deque>

#include "absl/strings/str_cat.h"
#include "ipc/sigpipe.h"

namespace bulkhead::testing {
namespace {

struct Run {
  uv_loop_t loop;
  uv_process_t process;
  uv_pipe_t in, out, err;
  uv_timer_t timer;
  uv_write_t write;
  ProcessOutput result;
  bool exited = false;
  bool timed_out = false;
  int open_streams = 2;
  std::vector<SignalOnOutput> steps;
  size_t next_step = 0;
  size_t search_from = 0;  // Where in `out` the next marker may start.
  std::deque<uv_write_t> late_writes;  // Inputs sent once markers appeared.
};

void Alloc(uv_handle_t*, size_t suggested, uv_buf_t* buf) {
  *buf = uv_buf_init(static_cast<char*>(std::malloc(suggested)),
                     static_cast<unsigned>(suggested));
}

void ReadInto(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf,
              std::string* sink) {
  auto* run = static_cast<Run*>(stream->data);
  if (nread > 0) sink->append(buf->base, static_cast<size_t>(nread));
  std::free(buf->base);
  if (nread < 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(stream), nullptr);
    --run->open_streams;
  }
}

// Takes every step whose marker has appeared.
void TakeSteps(Run* run) {
  while (run->next_step < run->steps.size()) {
    const SignalOnOutput& on = run->steps[run->next_step];
    const size_t at = run->result.out.find(on.marker, run->search_from);
    if (at == std::string::npos) return;
    run->search_from = at + on.marker.size();
    const bool last = ++run->next_step == run->steps.size();
    if (on.input.has_value()) {
      uv_write_t* write = &run->late_writes.emplace_back();
      write->data = last ? run : nullptr;
      uv_buf_t late = uv_buf_init(const_cast<char*>(on.input->data()),
                                  static_cast<unsigned>(on.input->size()));
      uv_write(write, reinterpret_cast<uv_stream_t*>(&run->in), &late, 1,
               [](uv_write_t* req, int) {
                 if (req->data != nullptr) {
                   uv_close(reinterpret_cast<uv_handle_t*>(req->handle),
                            nullptr);
                 }
               });
    }
    if (on.signal != 0) uv_process_kill(&run->process, on.signal);
  }
}

}  // namespace

std::string SelfPath() {
  char path[4096];
  size_t size = sizeof(path);
  if (uv_exepath(path, &size) != 0) std::abort();
  return std::string(path, size);
}

absl::StatusOr<ProcessOutput> RunProcess(
    const std::vector<std::string>& argv, const std::string& input,
    absl::Duration timeout, const SignalOnOutput& signal_on_output) {
  std::vector<SignalOnOutput> steps;
  if (!signal_on_output.marker.empty()) steps.push_back(signal_on_output);
  return RunProcessSteps(argv, input, timeout, steps);
}

absl::StatusOr<ProcessOutput> RunProcessSteps(
    const std::vector<std::string>& argv, const std::string& input,
    absl::Duration timeout, const std::vector<SignalOnOutput>& steps) {
  // Writing the input to a program that exits without reading it must not kill
  // the test.
  ipc::IgnoreSigpipe();
  Run run;
  run.steps = steps;
  const bool keep_stdin_open = !steps.empty();
  uv_loop_init(&run.loop);
  auto init_pipes = [&run] {
    for (uv_pipe_t* pipe : {&run.in, &run.out, &run.err}) {
      uv_pipe_init(&run.loop, pipe, 0);
      pipe->data = &run;
    }
  };
  // libuv initialises the process handle even when the spawn fails, and may
  // have opened the pipes: close all four so the loop can be closed (or the
  // spawn tried again on fresh pipes) and nothing leaks.
  auto close_all = [&run] {
    for (uv_handle_t* handle :
         {reinterpret_cast<uv_handle_t*>(&run.process),
          reinterpret_cast<uv_handle_t*>(&run.in),
          reinterpret_cast<uv_handle_t*>(&run.out),
          reinterpret_cast<uv_handle_t*>(&run.err)}) {
      if (!uv_is_closing(handle)) uv_close(handle, nullptr);
    }
    uv_run(&run.loop, UV_RUN_DEFAULT);
  };
  init_pipes();
  std::vector<std::string> args = argv;
  std::vector<char*> raw;
  for (std::string& arg : args) raw.push_back(arg.data());
  raw.push_back(nullptr);
  uv_stdio_container_t stdio[3];
  stdio[0].flags =
      static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_READABLE_PIPE);
  stdio[0].data.stream = reinterpret_cast<uv_stream_t*>(&run.in);
  stdio[1].flags =
      static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(&run.out);
  stdio[2].flags =
      static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[2].data.stream = reinterpret_cast<uv_stream_t*>(&run.err);
  uv_process_options_t options = {};
  options.file = raw[0];
  options.args = raw.data();
  options.stdio = stdio;
  options.stdio_count = 3;
  options.exit_cb = [](uv_process_t* process, int64_t status, int signal) {
    auto* run = static_cast<Run*>(process->data);
    run->exited = true;
    run->result.exit_status = status;
    run->result.term_signal = signal;
  };
  run.process.data = &run;
  int rc = uv_spawn(&run.loop, &run.process, &options);
#ifdef _WIN32
  // Under Wine, CreateProcess now and then fails with an error libuv does not
  // map (UV_UNKNOWN) and succeeds when asked again (seen once in CI, 16 ms
  // into a test that had spawned the same program a thousand times before).
  // The program under test never ran, so asking again hides nothing about it.
  for (int retry = 0; rc == UV_UNKNOWN && retry < 3; ++retry) {
    std::fprintf(stderr, "run_process: uv_spawn %s: %s; spawning again\n",
                 raw[0], uv_strerror(rc));
    close_all();
    init_pipes();
    rc = uv_spawn(&run.loop, &run.process, &options);
  }
#endif
  if (rc != 0) {
    close_all();
    uv_loop_close(&run.loop);
    return absl::InternalError(absl::StrCat("uv_spawn ", raw[0], ": ",
                                            uv_err_name(rc), " (",
                                            uv_strerror(rc), ")"));
  }
  uv_buf_t buf = uv_buf_init(const_cast<char*>(input.data()),
                             static_cast<unsigned>(input.size()));
  run.write.data = keep_stdin_open ? nullptr : &run;
  uv_write(&run.write, reinterpret_cast<uv_stream_t*>(&run.in), &buf, 1,
           [](uv_write_t* req, int) {
             if (req->data != nullptr)
               uv_close(reinterpret_cast<uv_handle_t*>(req->handle), nullptr);
           });
  uv_read_start(reinterpret_cast<uv_stream_t*>(&run.out), Alloc,
                [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
                  auto* run = static_cast<Run*>(s->data);
                  ReadInto(s, n, b, &run->result.out);
                  TakeSteps(run);
                });
  uv_read_start(reinterpret_cast<uv_stream_t*>(&run.err), Alloc,
                [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
                  ReadInto(s, n, b, &static_cast<Run*>(s->data)->result.err);
                });
  uv_timer_init(&run.loop, &run.timer);
  run.timer.data = &run;
  uv_timer_start(
      &run.timer,
      [](uv_timer_t* timer) {
        auto* run = static_cast<Run*>(timer->data);
        run->timed_out = true;
        uv_process_kill(&run->process, SIGKILL);
      },
      static_cast<uint64_t>(absl::ToInt64Milliseconds(timeout)), 0);
  while (!(run.exited && run.open_streams == 0)) uv_run(&run.loop, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&run.timer), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&run.process), nullptr);
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&run.in))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&run.in), nullptr);
  }
  uv_run(&run.loop, UV_RUN_DEFAULT);
  uv_loop_close(&run.loop);
  if (run.timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat("timed out; stdout so far: ", run.result.out,
                     "\nstderr so far: ", run.result.err));
  }
  return run.result;
}

}  // namespace bulkhead::testing
