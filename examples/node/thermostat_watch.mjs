#!/usr/bin/env node
// Drives examples/remote_objects' thermostat daemon from Node.js: acquires
// its "thermostat" object, prints its properties, sets a new target, and
// prints each change until the temperature reaches the target (or COUNT
// changes went by):
//
//   build/examples/remote_objects/thermostat_daemon &
//   node examples/node/thermostat_watch.mjs [address] [target] [count]
import { once } from 'node:events';
import { IpcError, connect } from '../../node/index.js';

const [address = 'thermostat', targetText = '19', countText = '20'] = process.argv.slice(2);
const target = Number(targetText);
try {
  const client = await connect(address);
  const thermostat = await client.acquire('thermostat');
  console.log(`${thermostat.interface.className}: ${JSON.stringify(thermostat.values)}`);
  console.log(await thermostat.call('describe'));
  const changes = [];
  let reached;
  const done = new Promise((resolve) => { reached = resolve; });
  for (const signal of ['targetChanged', 'temperatureChanged', 'heatingChanged']) {
    thermostat.on(signal, (value) => {
      console.log(`${signal}(${value})`);
      changes.push(signal);
      if ((signal === 'temperatureChanged' && Math.abs(value - target) < 0.25) || changes.length >= Number(countText)) reached();
    });
  }
  await thermostat.set('target', target);
  await Promise.race([done, once(thermostat, 'stateChanged')]);
  await client.close();
} catch (error) {
  if (!(error instanceof IpcError)) throw error;
  console.error(`thermostat_watch failed: ${error.name}: ${error.message}`);
  process.exitCode = 1;
}
