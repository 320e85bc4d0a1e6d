#!/usr/bin/env node
// The Electron-style split without Electron: this main process owns the
// connection to the Qt back end (examples/remote_objects' thermostat
// daemon) and forks a "renderer" that never touches a socket or a key. The
// renderer gets values and events, and asks for changes, over Node's own
// child-process channel, as an Electron renderer would over ipcRenderer.
//
//   build/examples/remote_objects/thermostat_daemon &
//   node examples/node/split/main.mjs [address]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { IpcError, connect } from '../../../node/index.js';

const address = process.argv[2] ?? 'thermostat';
let backend;
try {
  backend = await connect(address, { heartbeatInterval: 2000 });
} catch (error) {
  if (!(error instanceof IpcError)) throw error;
  console.error(`main: ${error.name}: ${error.message}`);
  process.exit(1);
}
const thermostat = await backend.acquire('thermostat');
const renderer = fork(fileURLToPath(new URL('./renderer.mjs', import.meta.url)));
const send = (channel, data) => renderer.connected && renderer.send({ channel, data });

// What the renderer may ask, and nothing else: it cannot reach the back end itself.
const handlers = {
  describe: () => thermostat.call('describe'),
  'set-target': (celsius) => thermostat.set('target', Number(celsius)),
};
renderer.on('message', async ({ id, name, args }) => {
  try {
    send('reply', { id, value: await handlers[name](...args) });
  } catch (error) {
    send('reply', { id, error: `${error.name}: ${error.message}` });
  }
});
for (const signal of ['temperatureChanged', 'targetChanged', 'heatingChanged', 'alarm']) {
  thermostat.on(signal, (...args) => send('thermostat', { signal, args }));
}
thermostat.on('stateChanged', (state) => send('thermostat-state', state));
send('thermostat', { signal: 'snapshot', args: [thermostat.values] });
renderer.on('exit', async (code) => {
  await backend.close();
  process.exitCode = code ?? 1;
});
