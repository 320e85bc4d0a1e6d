#!/usr/bin/env node
// The Node.js package's cost, as a ratio: its client against the C++
// library's bench server (ipc_bench's peer: encrypted, and plain) next to a
// bare `net` unix-socket echo of fixed 64-byte records with no protocol (a
// Node.js process of its own), in one run.
//
//   node bench/node_bench.mjs build/bench/ipc_bench [--quick] [--json FILE]
//
// Rows: round trip of 64 bytes (median and p99, µs) and one-way 64-byte
// messages per second (the server counts them, then says how many came).
// The rows take turns over 7 rounds; each figure is the median of the rounds.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from '../node/index.js';

const SIZE = 64;

// --- the bare baseline: net streams, fixed 64-byte records, no protocol
function bareServer(path) {
  const server = net.createServer((socket) => {
    let pending = Buffer.alloc(0);
    let sunk = 0n;
    socket.on('data', (chunk) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let offset = 0;
      for (; offset + SIZE <= pending.length; offset += SIZE) {
        const kind = pending[offset];
        if (kind === 0x65) socket.write(pending.subarray(offset, offset + SIZE)); // 'e'
        else if (kind === 0x73) sunk++; // 's'
        else if (kind === 0x66) { // 'f'
          const answer = Buffer.alloc(SIZE);
          answer.writeBigUInt64BE(sunk);
          socket.write(answer);
          sunk = 0n;
        }
      }
      pending = pending.subarray(offset);
    });
    socket.on('error', () => {});
  });
  server.listen(path, () => console.log('ready'));
}

class Bare {
  async open(path) {
    this.socket = net.createConnection({ path });
    await once(this.socket, 'connect');
    this.socket.setNoDelay(true);
    this.buffer = Buffer.alloc(0);
    this.waiting = null;
    this.socket.on('data', (chunk) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      if (this.waiting && this.buffer.length >= SIZE) {
        const record = this.buffer.subarray(0, SIZE);
        this.buffer = this.buffer.subarray(SIZE);
        const resolve = this.waiting;
        this.waiting = null;
        resolve(record);
      }
    });
  }

  record() {
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  async roundTrip(record) {
    const answer = this.record();
    this.socket.write(record);
    await answer;
  }

  async oneWay(record) {
    if (!this.socket.write(record)) await once(this.socket, 'drain');
  }

  async finish() {
    const answer = this.record();
    this.socket.write(Buffer.alloc(SIZE, 0x66));
    return Number((await answer).readBigUInt64BE(0));
  }

  async close() {
    this.socket.end();
  }
}

class Libipc {
  constructor(encrypted) {
    this.encrypted = encrypted;
  }

  async open(address) {
    this.client = await connect(address, { encryptionRequired: this.encrypted });
  }

  async roundTrip(record) {
    await this.client.write(1, record);
    await this.client.receive();
  }

  async oneWay(record) {
    await this.client.write(1, record);
  }

  async finish() {
    await this.client.write(1, 'f');
    return Number((await this.client.receive()).data.readBigUInt64BE(0));
  }

  async close() {
    await this.client.close();
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function roundTrips(peer, count) {
  const echo = Buffer.alloc(SIZE, 0x78);
  echo[0] = 0x65;
  const samples = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await peer.roundTrip(echo);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return samples;
}

async function oneWay(peer, messages) {
  const sink = Buffer.alloc(SIZE, 0x78);
  sink[0] = 0x73;
  const start = process.hrtime.bigint();
  for (let i = 0; i < messages; i++) await peer.oneWay(sink);
  const counted = await peer.finish();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (counted !== messages) throw new Error(`one-way: ${counted} of ${messages} arrived`);
  return messages / seconds;
}

// The rows take turns, round after round, so that what the shared machine
// does meanwhile falls on all of them; each figure is the median of the rounds.
async function measure(peers, rounds, count, messages) {
  const results = Object.fromEntries(Object.keys(peers).map((name) => [name, { medians: [], all: [], rates: [] }]));
  for (const peer of Object.values(peers)) await roundTrips(peer, 200); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const [name, peer] of Object.entries(peers)) {
      const samples = await roundTrips(peer, count);
      results[name].medians.push(median(samples));
      results[name].all.push(...samples);
      results[name].rates.push(await oneWay(peer, messages));
    }
  }
  return Object.fromEntries(Object.entries(results).map(([name, r]) => {
    r.all.sort((a, b) => a - b);
    return [name, { rtt_median_us: median(r.medians), rtt_p99_us: r.all[Math.floor(r.all.length * 0.99) - 1], oneway64_msgs_per_s: median(r.rates) }];
  }));
}

async function start(command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(readline.createInterface({ input: child.stdout }), 'line');
  const words = line.split(' ');
  if (words[0] !== 'ready') throw new Error(`${command} did not start`);
  return [child, words[1] ?? ''];
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--serve-bare') return bareServer(args[1]);
  const ipcBench = args.find((a) => !a.startsWith('--'));
  if (!ipcBench) throw new Error('usage: node bench/node_bench.mjs IPC_BENCH [--quick] [--json FILE]');
  const quick = args.includes('--quick');
  const json = args.includes('--json') ? args[args.indexOf('--json') + 1] : null;
  const [rounds, count, messages] = quick ? [1, 300, 2000] : [7, 1000, 20000];
  const barePath = `/tmp/nodebench_bare_${process.pid}.sock`;
  const children = [];
  const peers = {};
  let rows;
  try {
    const [bare] = await start(process.execPath, [fileURLToPath(import.meta.url), '--serve-bare', barePath]);
    children.push(bare);
    peers['net-unix-bare'] = new Bare();
    await peers['net-unix-bare'].open(barePath);
    for (const [name, encrypted] of [['libipc-local-plain', false], ['libipc-local-encrypted', true]]) {
      const [server, address] = await start(ipcBench, ['--peer', name, 'server', `nodebench_${name}_${process.pid}`]);
      children.push(server);
      peers[`node-${name}`] = new Libipc(encrypted);
      await peers[`node-${name}`].open(address);
    }
    rows = await measure(peers, rounds, count, messages);
  } finally {
    for (const peer of Object.values(peers)) await peer.close();
    for (const child of children) {
      child.kill();
      if (child.exitCode === null) await once(child, 'exit');
    }
    fs.rmSync(barePath, { force: true });
    for (const name of ['libipc-local-plain', 'libipc-local-encrypted']) {
      for (const suffix of ['.sock', '.sock.lock']) fs.rmSync(`/tmp/nodebench_${name}_${process.pid}${suffix}`, { force: true });
    }
  }
  const base = rows['net-unix-bare'];
  console.log(`${'row'.padEnd(32)} ${'rtt median µs'.padStart(14)} ${'p99 µs'.padStart(9)} ${'× bare'.padStart(7)} ${'one-way 64 B/s'.padStart(15)} ${'× bare'.padStart(7)}`);
  for (const [name, row] of Object.entries(rows)) {
    row.rtt_ratio_to_bare = row.rtt_median_us / base.rtt_median_us;
    row.oneway64_ratio_to_bare = row.oneway64_msgs_per_s / base.oneway64_msgs_per_s;
    console.log(`${name.padEnd(32)} ${row.rtt_median_us.toFixed(1).padStart(14)} ${row.rtt_p99_us.toFixed(1).padStart(9)} ${row.rtt_ratio_to_bare.toFixed(2).padStart(7)} ${Math.round(row.oneway64_msgs_per_s).toLocaleString('en').padStart(15)} ${row.oneway64_ratio_to_bare.toFixed(2).padStart(7)}`);
  }
  if (json) fs.writeFileSync(json, JSON.stringify({ node: process.version, rows }, null, 2));
}

await main();
