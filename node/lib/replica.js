// A replica: an object another process exposes, acquired by name. It is an
// EventEmitter: each of the source's signals is an event of the same name
// (the properties it notifies already updated), plus 'stateChanged' and
// 'resynchronized'.
import { EventEmitter } from 'node:events';
import { InvalidArgument, NotConnected, ObjectNotFound } from './errors.js';
import { Interface } from './objects.js';
import { INVOKE, RELEASE, SET_PROPERTY } from './source.js';

/**
 * `state` is 'valid'; 'suspect' while the connection is being resumed (the
 * values are the last known); 'gone' once the source withdrew it or the
 * connection ended; 'released' after release(). When the source restarts
 * the replica acquires again, emits the change signals of the properties
 * that differ, then 'resynchronized' (0); when the source had to skip
 * emissions because this side was slow, 'resynchronized' (missed) follows
 * the new values.
 */
export class Replica extends EventEmitter {
  constructor(link, name, answer) {
    super();
    this._link = link;
    this.name = name;
    this.state = 'valid';
    this.error = null; // why it is gone
    this._read(answer);
  }

  _read(answer) {
    if (!answer || typeof answer !== 'object' || !Number.isInteger(answer.handle)) throw new InvalidArgument(`the answer to acquiring ${this.name} is malformed`);
    const iface = Interface.fromCbor(answer.interface ?? {});
    const values = answer.properties;
    if (!Array.isArray(values) || values.length !== iface.properties.length) throw new InvalidArgument(`the answer to acquiring ${this.name} has no value for each property`);
    this.handle = answer.handle;
    this.interface = iface;
    const previous = this._values;
    this._values = new Map(iface.properties.map((p, i) => [p.name, values[i]]));
    return previous;
  }

  /** Every property's last known value, by name. */
  get values() {
    return Object.fromEntries(this._values);
  }

  /** A property's last known value. */
  get(name) {
    if (!this._values.has(name)) this._find('property', name);
    return this._values.get(name);
  }

  _find(kind, name) {
    try {
      return this.interface.find(kind, name);
    } catch (error) {
      throw new ObjectNotFound(`${this.name}: ${error.message}`);
    }
  }

  _checkUsable() {
    if (this.state === 'gone' || this.state === 'released') throw new NotConnected(`the replica of ${this.name} is ${this.state}${this.error ? `: ${this.error.message}` : ''}`);
  }

  /** Calls a method (by name or signature); resolves to its result. Rejects with ObjectNotFound, InvalidArgument (naming the argument), RemoteError, Timeout or ConnectionLost. */
  async call(method, ...args) {
    return this.callWithTimeout(method, args, 30000);
  }

  async callWithTimeout(method, args, timeout) {
    this._checkUsable();
    const index = this._find('method', method);
    const member = this.interface.methods[index];
    if (args.length !== member.parameters.length) {
      throw new InvalidArgument(`${this.name}.${Interface.signature(member)} takes ${member.parameters.length} arguments; ${args.length} were given`);
    }
    return this._link.call(INVOKE, [this.handle, index, args], timeout);
  }

  /** Asks the source to set a writable property; its change signal follows. */
  async set(name, value, { timeout = 30000 } = {}) {
    this._checkUsable();
    const index = this._find('property', name);
    if (!this.interface.properties[index].writable) throw new InvalidArgument(`${this.name}.${name} is read-only`);
    await this._link.call(SET_PROPERTY, [this.handle, index, value], timeout);
  }

  /** Tells the source this replica wants nothing more. */
  async release() {
    if (this.state === 'valid' || this.state === 'suspect') {
      this._link.forgetReplica(this);
      this._link.send(RELEASE, { handle: this.handle });
      this._setState('released');
    }
  }

  _emitSignal(name, args) {
    if (name === 'error' && this.listenerCount('error') === 0) return; // an unheard 'error' would throw
    this.emit(name, ...args);
  }

  _setState(state, error = null) {
    if (state === this.state) return;
    this.state = state;
    if (error) this.error = error;
    this.emit('stateChanged', state);
  }

  // --- what the source sends (through the link)
  _onEmission(index, args, properties) {
    const signal = this.interface.signals[index];
    if (!signal || !Array.isArray(args)) {
      this._link.warn(`${this.name}: an emission of signal ${index} was malformed: ignored`);
      return;
    }
    if (properties instanceof Map) {
      for (const [key, value] of properties) {
        const property = this.interface.properties[key];
        if (property) this._values.set(property.name, value);
      }
    }
    this._emitSignal(signal.name, args);
  }

  _onMissed(count, values) {
    if (Array.isArray(values) && values.length === this.interface.properties.length) this._updateAll(values);
    this.emit('resynchronized', Number.isInteger(count) ? count : 0);
  }

  _updateAll(values) {
    // The change signal of each property whose value differs, as a Qt replica does.
    this.interface.properties.forEach((property, i) => {
      const old = this._values.get(property.name);
      this._values.set(property.name, values[i]);
      if (!sameValue(old, values[i]) && property.notify !== null) {
        const signal = this.interface.signals[property.notify];
        if (signal.parameters.length <= 1) this._emitSignal(signal.name, [values[i]].slice(0, signal.parameters.length));
      }
    });
  }

  _reacquired(answer) {
    const previous = this._values;
    this._read(answer);
    const fresh = this.interface.properties.map((p) => this._values.get(p.name));
    this._values = previous;
    this._updateAll(fresh);
    this._setState('valid');
    this.emit('resynchronized', 0);
  }
}

function sameValue(a, b) {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  const text = (value) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)); // 64-bit integers come as BigInts
  return text(a) === text(b);
}
