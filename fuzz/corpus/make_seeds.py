#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (fuzz/corpus/<fuzzer>/) from readable
descriptions: protobuf text through `protoc --encode`, plus each fuzzer's
leading control bytes (see the fuzzer's source). Run from anywhere; rewrites
the seeds it owns."""
import os
import pathlib
import struct
import subprocess

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def encode(message, text, proto, include):
    return subprocess.run(
        ["protoc", f"--encode={message}", f"-I{ROOT / include}",
         f"-I/usr/include", str(ROOT / include / proto)],
        input=text.encode(), capture_output=True, check=True).stdout


def envelope(text):
    return encode("bulkhead.ipc.Envelope", text, "envelope.proto", "ipc/proto")


def frame(text):
    body = envelope(text)
    return struct.pack("<I", len(body)) + body


def any_of(type_name, message_text):
    value = encode(f"bulkhead.roles.{type_name}", message_text, "work.proto",
                   "sample_roles")
    escaped = "".join(f"\\{b:03o}" for b in value)
    return (f'message {{ type_url: "type.googleapis.com/bulkhead.roles.'
            f'{type_name}" value: "{escaped}" }}')


def write(fuzzer, name, data):
    directory = HERE / fuzzer
    directory.mkdir(exist_ok=True)
    (directory / name).write_bytes(data)


# helper_message_fuzzer: flags, memfd size (2 bytes), then the stream.
hello = frame('seq: 1 call_id: 1 control { hello { protocol: PROTOCOL_VERSION_1 '
              'role: "renderer" pid: 7 helper_id: 1 } }')
ready = frame('seq: 2 control { ready { sandbox { layers { key: "seccomp" '
              'value: "on" } sandboxed: true } } }')
reply1 = frame('seq: 3 call_id: 1 is_reply: true ' +
               any_of("LayoutTextResponse", 'lines: "a" word_count: 1'))
pong = frame('seq: 4 call_id: 2 is_reply: true control { pong { } }')
error3 = frame('seq: 5 call_id: 3 is_reply: true error { code: 5 message: "x" }')
request = frame('seq: 6 call_id: 9 ' +
                any_of("LayoutTextRequest", 'text: "hi" width: 4'))
write("helper_message_fuzzer", "session", b"\x00\x00\x00" + hello + ready +
      reply1 + pong + error3 + request)
write("helper_message_fuzzer", "handles", b"\x09\x00\x00" + hello + frame(
    'seq: 2 attached_handles: 2 ' +
    any_of("LayoutTextResponse", 'lines: "with handles"')))
# A shared body: a sealed memfd of 2048 bytes carrying the message.
write("helper_message_fuzzer", "shared_body", b"\x25\x08\x00" + hello + frame(
    'seq: 2 call_id: 1 is_reply: true attached_handles: 1 '
    'shared_body_size: 2048 shared_region_id: 1 shared_region_size: 2048 '
    'message { type_url: "type.googleapis.com/bulkhead.roles.LayoutTextResponse" }'))
write("helper_message_fuzzer", "taken", b"\x00\x00\x00" + frame(
    'seq: 1 control { shared_body_taken { bytes: 100 region_id: 3 } }'))

# frame_decoder_fuzzer: the chunk size byte, then a stream of frames.
write("frame_decoder_fuzzer", "session", b"\x07" + hello + ready + reply1 +
      pong + error3 + request)

# handle_transport_fuzzer: announced, fds sent, values, flags, then the bytes.
write("handle_transport_fuzzer", "batch_of_2", b"\x02\x02\x00\x01" +
      struct.pack("<I", 2))
write("handle_transport_fuzzer", "short_batch", b"\x03\x02\x00\x01" +
      struct.pack("<I", 3))
write("handle_transport_fuzzer", "two_batches", b"\x01\x01\x00\x0b" +
      struct.pack("<I", 1))
write("handle_transport_fuzzer", "too_many", b"\x4f\x60\x00\x01" +
      struct.pack("<I", 96))

# zygote_wire_fuzzer: flags (bit 0: to the host; bits 1-4: fds), then bytes.
fork = encode("bulkhead.ipc.ZygoteFork",
              'argv: "/proc/self/exe" argv: "--type=renderer" '
              'argv: "--ipc-fd=3" target_fds: 3 target_fds: 4 '
              'environment: "A=b" working_directory: "/"',
              "zygote.proto", "ipc/proto")
write("zygote_wire_fuzzer", "fork", bytes([2 << 1]) + fork)
write("zygote_wire_fuzzer", "reply", b"\x01" + encode(
    "bulkhead.ipc.ZygoteReply", "pid: 1234", "zygote.proto", "ipc/proto"))
write("zygote_wire_fuzzer", "refusal", b"\x01" + encode(
    "bulkhead.ipc.ZygoteReply", 'error: "argv too long"', "zygote.proto",
    "ipc/proto"))

# command_parser_fuzzer: lines.
for i, line in enumerate([
        "status", "crash renderer-1 segv", "crash gpu exit 3", "kill gpu-2",
        "restart renderer", "spawn utility", "help", "quit", "   ",
        "crash network bad_message"]):
    write("command_parser_fuzzer", f"line{i}", line.encode())

# command_line_fuzzer: argv, each argument ended by a NUL.
for i, args in enumerate([
        ["--config", "my.textproto", "--json-events"],
        ["sandbox-learn", "--role=renderer"],
        ["--log-level=debug", "--trace", "t.json", "--no-sandbox"],
        ["-h"], ["--", "--config"], ["--config=", "-"],
        ["--roles=renderer,gpu", "--faults", "segv", "--json=r.json"]]):
    write("command_line_fuzzer", f"argv{i}",
          b"".join(arg.encode() + b"\0" for arg in args))

# host_config_fuzzer: the embedded default and a few variants.
default = (ROOT / "browser_host/default_config.textproto").read_bytes()
write("host_config_fuzzer", "default", default)
write("host_config_fuzzer", "role", b'''log_level: "info"
work_interval: "100ms"
role { name: "renderer" count: 2 sandbox: "gpu" memory_limit_mb: 64
  cpu_limit_seconds: 5 restart { mode: ALWAYS max_restarts: 3 window: "1s" }
  heartbeat { interval: "250ms" deadline: "1s" } }
role { name: "network" sandbox: "none" }
''')

# repro_fuzzer: a whole repro file (magic, the record's size, the record).
# Format version 2: the exit is an ExitInfoRecord (ipc/proto/exit_info.proto,
# imported from the project root).
def repro_file(text):
    record = encode("bulkhead.ipc.Repro", text, "ipc/proto/repro.proto", ".")
    return b"BHREPRO\n" + struct.pack("<I", len(record)) + record


poison = encode("bulkhead.roles.LayoutTextRequest",
                'text: "bulkhead-demo-crash:segv" width: 30', "work.proto",
                "sample_roles")
poison_escaped = "".join(f"\\{b:03o}" for b in poison)
write("repro_fuzzer", "segv", repro_file(
    'format_version: 2 role: "renderer" '
    'request_type: "bulkhead.roles.LayoutTextRequest" '
    f'request: "{poison_escaped}" '
    'exit_info { kind: 2 kind_name: "crashed" signal: 11 detail: "SIGSEGV" '
    'stack_trace: "#0 WriteThroughNull" stack_trace: "#1 main" '
    'last_stderr_lines: "about to crash" pid: 77 role: "renderer" '
    'helper_id: 2 uptime_ns: 1500000000 was_ready: true } '
    'made_unix_ms: 1796000000000 bulkhead_version: "0.2.0"'))
write("repro_fuzzer", "violation", repro_file(
    'format_version: 2 role: "utility" '
    'request_type: "bulkhead.roles.CompressBlobRequest" request: "\\n\\001x" '
    'exit_info { kind: 7 kind_name: "sandbox-violation" signal: 31 '
    'syscall: "ptrace" }'))
write("repro_fuzzer", "future_version", repro_file(
    'format_version: 3 role: "renderer" request_type: "a.B"'))
