// Node's own IPC, the peer Bulkhead is measured against: child_process.fork
// and process.send (JSON over a pipe), as Electron's utilityProcess does.
//
//   node fork_ipc.js rtt N [child_cpu]     -> "median_us X"
//   node fork_ipc.js stream N [child_cpu]  -> "msgs_per_s X"
//
// Messages carry a 64-character payload. With child_cpu, the child is pinned
// to that cpu (all its threads, with taskset); the parent keeps the affinity
// it was started with.
'use strict';
const { fork, execFileSync } = require('child_process');

const PAYLOAD = 'x'.repeat(64);
const WARMUP = 200;

if (process.argv[2] === 'child') {
  process.on('message', (m) => {
    if (m.t === 'ping') {
      process.send(m);
    } else if (m.t === 'go') {
      let sent = 0;
      const burst = () => {
        while (sent < m.n) {
          ++sent;
          // false: Node's queue is backed up; continue once it has drained.
          if (!process.send({ t: 'msg', d: PAYLOAD }) && sent < m.n) {
            process.send({ t: 'nop' }, () => setImmediate(burst));
            return;
          }
        }
      };
      burst();
    } else if (m.t === 'exit') {
      process.disconnect();
    }
  });
  return;
}

const mode = process.argv[2];
const n = Number(process.argv[3]);
const childCpu = process.argv[4];
const child = fork(__filename, ['child']);
if (childCpu !== undefined && childCpu !== '-1') {
  execFileSync('taskset', ['-a', '-p', '-c', childCpu, String(child.pid)],
               { stdio: 'ignore' });
}

function finish(line) {
  console.log(line);
  child.send({ t: 'exit' });
}

if (mode === 'rtt') {
  const samples = [];
  let done = 0;
  let start = 0n;
  const ping = () => {
    start = process.hrtime.bigint();
    child.send({ t: 'ping', d: PAYLOAD });
  };
  child.on('message', () => {
    if (done++ >= WARMUP) {
      samples.push(Number(process.hrtime.bigint() - start) / 1e3);
    }
    if (done === WARMUP + n) {
      samples.sort((a, b) => a - b);
      finish(`median_us ${samples[Math.floor(samples.length / 2)]}`);
    } else {
      ping();
    }
  });
  ping();
} else if (mode === 'stream') {
  let received = 0;
  let start = 0n;
  child.on('message', (m) => {
    if (m.t !== 'msg') return;
    if (++received === n) {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      finish(`msgs_per_s ${n / seconds}`);
    }
  });
  start = process.hrtime.bigint();
  child.send({ t: 'go', n });
} else {
  console.error('usage: node fork_ipc.js rtt|stream N [child_cpu]');
  process.exit(2);
}
