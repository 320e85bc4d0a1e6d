// What the tests share: the C++ programs on the other side (paths from the
// environment CTest sets), unique addresses, processes started and ended
// by pid, and a proxy that breaks connections.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import readline from 'node:readline';

export const PEER = process.env.IPC_TEST_PEER ?? '';
export const DAEMON = process.env.IPC_THERMOSTAT_DAEMON ?? '';
export const PANEL = process.env.IPC_THERMOSTAT_PANEL ?? '';
export const IPCCTL = process.env.IPCCTL ?? '';
export const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));

let counter = 0;
export const uniqueAddress = () => `nodeipc_${process.pid}_${counter++}`;

/** What a C++ server killed by SIGKILL leaves behind: its socket and lock files. */
export function removeSocketFiles(name) {
  for (const suffix of ['.sock', '.sock.lock']) fs.rmSync(`/tmp/${name}${suffix}`, { force: true });
}

/** A process of ours, with its output as lines; stop() ends it by its pid. */
export class Child {
  constructor(command, args, { stream = 'stdout', env } = {}) {
    this.process = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    this.lines = [];
    this._waiters = [];
    this.output = '';
    this.process.stderr.on('data', (chunk) => { this.errors = (this.errors ?? '') + chunk; });
    const reader = readline.createInterface({ input: this.process[stream] });
    reader.on('line', (line) => {
      this.lines.push(line);
      for (const waiter of this._waiters.splice(0)) waiter();
    });
    this.exited = once(this.process, 'exit');
  }

  /** Not ended: neither exited nor killed by a signal. */
  get running() {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The next line (waits for it, not for a fixed time; a minute at most). */
  async line(timeoutMs = 60000) {
    if (this._taken === undefined) this._taken = 0;
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length <= this._taken) {
      if (!this.running) throw new Error(`${this.process.spawnfile} ended (${this.process.exitCode ?? this.process.signalCode}): ${this.errors ?? ''}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.process.spawnfile} printed no line within ${timeoutMs} ms: ${this.errors ?? ''}`);
      let timer;
      await new Promise((resolve) => {
        this._waiters.push(resolve);
        this.exited.then(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    return this.lines[this._taken++];
  }

  async stop() {
    if (this.running) this.process.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * Runs a program to its end: [exit code, stdout, stderr]. One that is not
 * done within `timeoutMs` is killed (by its pid) and fails the test by name.
 */
export async function run(command, args, env = {}, timeoutMs = 120000) {
  const child = spawn(command, args, { env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  child.stderr.on('data', (chunk) => { err += chunk; });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
  const [code] = await once(child, 'close');
  clearTimeout(timer);
  if (timedOut) throw new Error(`${command} ${args.join(' ')}: not done within ${timeoutMs} ms; stdout: ${out} stderr: ${err}`);
  return [code, out, err];
}

/** ipc_test_peer's echo server in a process of its own. */
export async function echoServer(...options) {
  const name = uniqueAddress();
  const child = new Child(PEER, ['server', name, ...options]);
  const line = await child.line();
  if (!line.startsWith('listening')) throw new Error(`the echo server did not start: ${line}`);
  return { name, child, stop: async () => { await child.stop(); removeSocketFiles(name); } };
}

/**
 * Forwards local-socket connections to `target` (a path) until cut(): then
 * every connection through it breaks at once (no goodbye). With `cutAfter`
 * it cuts by itself once that many bytes went upstream in all (each number
 * once), so a cut falls while data flows.
 */
export class CuttingProxy {
  constructor(target, cutAfter = []) {
    this.name = uniqueAddress();
    this.path = `/tmp/${this.name}.sock`;
    this.target = target;
    this.sockets = new Set();
    this.cutAfter = [...cutAfter].sort((a, b) => a - b);
    this.upstreamBytes = 0;
    this.server = net.createServer((client) => {
      const upstream = net.createConnection({ path: this.target });
      this.sockets.add(client).add(upstream);
      client.on('data', (chunk) => {
        upstream.write(chunk);
        this.upstreamBytes += chunk.length;
        if (this.cutAfter.length && this.upstreamBytes >= this.cutAfter[0]) {
          this.cutAfter.shift();
          this.cut();
        }
      });
      upstream.on('data', (chunk) => client.write(chunk));
      for (const [a, b] of [[client, upstream], [upstream, client]]) {
        a.on('error', () => {});
        a.on('close', () => { b.destroy(); this.sockets.delete(a); });
      }
    });
  }

  async start() {
    this.server.listen(this.path);
    await once(this.server, 'listening');
  }

  cut() {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async stop() {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Waits until `condition()` holds, checking between turns of the event loop. */
export async function until(condition, what, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
