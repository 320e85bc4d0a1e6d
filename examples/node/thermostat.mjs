#!/usr/bin/env node
// A thermostat written for Node.js, exposed as a remote object with the
// interface of examples/remote_objects/thermostat.rep, so the Qt panel (a
// typed ThermostatReplica) and `ipcctl` use it as they use the C++ daemon:
//
//   node examples/node/thermostat.mjs [address] &
//   build/examples/remote_objects/thermostat_panel --address thermostat_js
//   build/ipcctl/ipcctl call thermostat_js thermostat.describe
import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';
import { Server } from '../../node/index.js';

/** The members and Qt types of thermostat.rep: a typed Qt replica checks each signature against them. */
export const thermostatSpec = {
  className: 'Thermostat',
  properties: {
    temperature: { type: 'double', readonly: true }, // and temperatureChanged(double)
    target: 'double', // replicas may set it
    heating: { type: 'bool', readonly: true },
  },
  signals: { alarm: [['QString', 'text']] },
  methods: {
    describe: { returns: 'QString' },
    boost: { parameters: [['int', 'minutes']] },
  },
};

export class Thermostat extends EventEmitter {
  temperature = 18;
  target = 21;
  heating = false;
  #boostTicks = 0;
  #warned = false;

  describe() {
    const boosted = this.#boostTicks > 0 ? ', boosted' : '';
    return `${this.temperature.toFixed(1)} °C, target ${this.target.toFixed(1)} °C, ${this.heating ? 'heating' : 'idle'}${boosted} (in Node.js)`;
  }

  boost(minutes) {
    this.#boostTicks = Math.max(0, Math.min(minutes, 60)) * 120;
  }

  /** Every half second: heat towards the target, cool towards 15 °C. */
  step() {
    const boosted = this.#boostTicks > 0;
    this.heating = this.temperature < this.target - 0.2 || (boosted && this.temperature < this.target + 2);
    const change = this.heating ? (boosted ? 0.4 : 0.2) : -0.05;
    this.temperature = Math.round((this.temperature + change) * 100) / 100;
    this.#boostTicks = Math.max(0, this.#boostTicks - 1);
    if (this.temperature > 28 && !this.#warned) {
      this.#warned = true;
      this.emit('alarm', `too warm: ${this.temperature.toFixed(1)} °C`);
    } else if (this.temperature < 27) {
      this.#warned = false;
    }
  }
}

async function main(address) {
  const thermostat = new Thermostat();
  const server = new Server(address);
  // Assigning temperature, target or heating now sends its change signal to replicas.
  server.expose('thermostat', thermostat, thermostatSpec);
  await server.listen();
  console.log(`thermostat exposed at ${server.address}`);
  const tick = setInterval(() => thermostat.step(), 500);
  const stop = async () => {
    clearInterval(tick);
    await server.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv[2] ?? 'thermostat_js');
