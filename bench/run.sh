#!/usr/bin/env bash
# Builds the release preset's benchmarks and runs them, each figure beside its
# floors in one process run:
#   ipc_bench      the channel, for both placements (both processes on cpu 0;
#                  cpu 0 and cpu 1), Node's fork IPC included when `node` is
#                  installed. Ends with one line per figure and floor:
#                  `name  value  unit  ratio-to-floor  floor`.
#   launch_bench   launch to Ready, sandboxed and not, beside fork+exec of the
#                  same binary and `bwrap --unshare-all` (bubblewrap is
#                  installed for it).
#   crash_latency_bench  crash -> ExitInfo and crash -> replacement Ready.
#   trace_json_bench     the --trace file's writer (protobuf's JSON printer)
#                  beside the hand-written one it replaced.
#   pool_bench     HelperPool's throughput on small tasks beside the same
#                  tasks dispatched by hand to as many helpers; one-shot
#                  latency beside a launch to Ready; throughput with a crash
#                  every 100 tasks beside none; ~30 KB images decoded and
#                  blurred by a pool of 2 sandboxed helpers beside one
#                  in-process loop.
#   scale_bench    100 and 1,000 helpers all Ready beside as many bare forks;
#                  PSS of 100 idle helpers; host CPU with 1,000 idle.
#   broker_bench   a file opened through the host's file broker beside a
#                  plain open() of the same file.
#
#   bench/run.sh [ipc_bench flags, e.g. --quick or --placements=same]
#   BENCH=ipc|launch|crash|trace|pool|scale|broker bench/run.sh   just one of them
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/setup.sh
source "$root/scripts/setup.sh"

bulkhead_install_packages
# bwrap: launch_bench's peer (Linux only).
if [[ $(uname -s) == Linux ]]; then bulkhead_install_package_list bubblewrap; fi
bulkhead_configure release
(cd "$root" && cmake --build --preset release -j "${JOBS:-2}" \
  --target ipc_bench launch_bench crash_latency_bench trace_json_bench pool_bench \
  scale_bench broker_bench)

node_script=""
if command -v node >/dev/null 2>&1; then
  node_script="$root/bench/node/fork_ipc.js"
else
  bulkhead_log "node not found: the Node figures are skipped"
fi
# On a shared machine, other work preempts the measured processes for whole
# scheduler ticks (4 ms gaps in a stream that moves 10 GB/s): as root, run them
# under SCHED_FIFO so that every figure and floor sees the same quiet machine
# (the kernel still keeps 5% of each cpu for everything else). BENCH_RT=0 opts
# out.
rt=()
if [[ ${BENCH_RT:-1} == 1 && $EUID == 0 ]] && command -v chrt >/dev/null 2>&1; then
  rt=(chrt --fifo 1)
fi
cd "$root"
which=${BENCH:-all}
if [[ $which == all || $which == launch ]]; then
  "${rt[@]}" "$root/build/release/bench/launch_bench" --iterations=100
fi
if [[ $which == all || $which == crash ]]; then
  "${rt[@]}" "$root/build/release/bench/crash_latency_bench" --iterations=100
fi
if [[ $which == all || $which == trace ]]; then
  "${rt[@]}" "$root/build/release/bench/trace_json_bench" --events=200000
fi
if [[ $which == all || $which == pool ]]; then
  "${rt[@]}" "$root/build/release/bench/pool_bench" --tasks=20000 --rounds=9
fi
if [[ $which == all || $which == scale ]]; then
  # Not inherited by its thousand helpers (--reset-on-fork): under SCHED_FIFO
  # they would starve the machine, and the measured host with it.
  if ((${#rt[@]})); then
    chrt --fifo --reset-on-fork 1 "$root/build/release/bench/scale_bench"
  else
    "$root/build/release/bench/scale_bench"
  fi
fi
if [[ $which == all || $which == broker ]]; then
  "${rt[@]}" "$root/build/release/bench/broker_bench"
fi
if [[ $which == all || $which == ipc ]]; then
  "${rt[@]}" "$root/build/release/bench/ipc_bench" --node-script="$node_script" "$@"
fi
