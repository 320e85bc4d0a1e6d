// The objects a Server or Client exposes, served to the replicas its peers
// acquire (docs/PROTOCOL.md, section 7c): acquire, invoke, set property,
// release and list in; emissions, missed and withdrawn out.
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import { ErrorCodes, InvalidArgument, InvalidConfiguration, IpcError, ObjectNotFound } from './errors.js';
import { Interface, checkValue } from './objects.js';

// Operations: the message types of object traffic.
export const ACQUIRE = 1;
export const RELEASE = 2;
export const EMISSION = 3;
export const INVOKE = 4;
export const SET_PROPERTY = 5;
export const WITHDRAWN = 6;
export const LIST = 7;
export const MISSED = 8;

function findAccessor(object, name) {
  for (let o = object; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    const descriptor = Object.getOwnPropertyDescriptor(o, name);
    if (descriptor) return descriptor.get || descriptor.set ? descriptor : null;
  }
  return null;
}

class Exposed {
  constructor(name, object, spec, handle) {
    if (!(object instanceof EventEmitter)) throw new InvalidConfiguration(`the object exposed as ${name} is not an EventEmitter: its signals are its events`);
    this.name = name;
    this.object = object;
    this.handle = handle;
    this.interface = Interface.fromSpec(spec, object.constructor?.name);
    this.acquirers = new Map(); // link -> how many replicas it holds
    this.missed = new Map(); // link -> emissions a full window refused
    this.relays = [];
    for (const method of this.interface.methods) {
      if (typeof object[method.name] !== 'function') throw new InvalidConfiguration(`${this.interface.className} has no method ${method.name} to expose`);
    }
    for (const p of this.interface.properties) this.installProperty(p);
  }

  // A property without an accessor of the object's own becomes one that
  // emits its notify signal on a change, as a generated Qt setter does.
  installProperty(property) {
    if (findAccessor(this.object, property.name)) return; // the object's setter emits the signal itself
    let value = this.object[property.name];
    const notify = this.interface.signals[property.notify].name;
    Object.defineProperty(this.object, property.name, {
      configurable: true,
      enumerable: true,
      get: () => value,
      set: (next) => {
        if (Object.is(next, value)) return;
        value = next;
        this.object.emit(notify, next);
      },
    });
  }

  values() {
    return this.interface.properties.map((p) => this.object[p.name] ?? null);
  }
}

/** Exposed objects by name and by handle. */
export class ObjectHost {
  constructor() {
    this._byName = new Map();
    this._byHandle = new Map();
    // From a random start, so a call meant for an earlier process matches nothing.
    this._nextHandle = crypto.randomBytes(4).readUInt32BE(0) * 256 + 1;
  }

  expose(name, object, spec) {
    if (typeof name !== 'string' || !name) throw new InvalidConfiguration('an object is exposed under a name');
    if (this._byName.has(name)) throw new InvalidConfiguration(`an object is already exposed as ${name}`);
    const exposed = new Exposed(name, object, spec, this._nextHandle++);
    exposed.interface.signals.forEach((signal, index) => {
      const relay = (...args) => this._relay(exposed, index, args);
      object.on(signal.name, relay);
      exposed.relays.push([signal.name, relay]);
    });
    this._byName.set(name, exposed);
    this._byHandle.set(exposed.handle, exposed);
  }

  unexpose(name, reason = 'the object was unexposed') {
    const exposed = this._byName.get(name);
    if (!exposed) throw new ObjectNotFound(`no object is exposed as ${name}`);
    this._byName.delete(name);
    this._byHandle.delete(exposed.handle);
    for (const [signal, relay] of exposed.relays) exposed.object.off(signal, relay);
    for (const link of exposed.acquirers.keys()) link.send(WITHDRAWN, [exposed.handle, reason]);
  }

  get names() {
    return [...this._byName.keys()].sort();
  }

  _relay(exposed, index, args) {
    const properties = new Map();
    exposed.interface.properties.forEach((p, i) => {
      if (p.notify === index) properties.set(i, exposed.object[p.name] ?? null);
    });
    for (const link of exposed.acquirers.keys()) {
      if (link.windowFull || exposed.missed.get(link)) {
        // Not queued without bound: counted, and told once there is room.
        exposed.missed.set(link, (exposed.missed.get(link) ?? 0) + 1);
      } else {
        link.send(EMISSION, [exposed.handle, index, args, properties]);
      }
    }
  }

  // --- what peers ask
  windowOpened(link) {
    for (const exposed of this._byHandle.values()) {
      const count = exposed.missed.get(link);
      if (count) {
        exposed.missed.delete(link);
        link.send(MISSED, [exposed.handle, count, exposed.values()]);
      }
    }
  }

  /** The peer is gone: nothing more goes to it. */
  forget(link) {
    for (const exposed of this._byHandle.values()) {
      exposed.acquirers.delete(link);
      exposed.missed.delete(link);
    }
  }

  onMessage(link, callId, operation, value) {
    let answer;
    try {
      if (operation === RELEASE) {
        this._release(link, value);
        return;
      }
      if (operation === ACQUIRE) answer = this._acquire(link, value);
      else if (operation === LIST) answer = [...this._byName.values()].map((e) => ({ name: e.name, interface: e.interface.toCbor() }));
      else if (operation === SET_PROPERTY) answer = this._setProperty(value);
      else if (operation === INVOKE) {
        this._invoke(link, callId, value);
        return;
      } else throw new ObjectNotFound(`object operation ${operation} is not one a source answers`);
    } catch (error) {
      if (!(error instanceof IpcError)) throw error;
      if (callId) link.fail(callId, operation, error.errno, error.message);
      else link.warn(`a peer's object message (operation ${operation}) was ignored: ${error.message}`);
      return;
    }
    if (callId) link.answer(callId, operation, answer);
  }

  _find(handle) {
    const exposed = Number.isInteger(handle) ? this._byHandle.get(handle) : undefined;
    if (!exposed) throw new ObjectNotFound(`no object has the handle ${handle} (it was withdrawn, or is from an earlier process)`);
    return exposed;
  }

  _acquire(link, value) {
    const name = value && typeof value === 'object' ? value.name : undefined;
    if (typeof name !== 'string') throw new InvalidArgument('an acquire names its object: {"name": text}');
    const exposed = this._byName.get(name);
    if (!exposed) throw new ObjectNotFound(`no object is exposed as ${name} (exposed: ${this.names.join(', ') || 'none'})`);
    exposed.acquirers.set(link, (exposed.acquirers.get(link) ?? 0) + 1);
    return { handle: exposed.handle, interface: exposed.interface.toCbor(), properties: exposed.values() };
  }

  _release(link, value) {
    const exposed = this._find(value && typeof value === 'object' ? value.handle : undefined);
    const count = (exposed.acquirers.get(link) ?? 0) - 1;
    if (count > 0) exposed.acquirers.set(link, count);
    else {
      exposed.acquirers.delete(link);
      exposed.missed.delete(link);
    }
  }

  static _triple(value, what) {
    if (!Array.isArray(value) || value.length !== 3 || !Number.isInteger(value[0]) || !Number.isInteger(value[1])) {
      throw new InvalidArgument(`a malformed ${what}: [handle, index, ...] expected`);
    }
    return value;
  }

  _setProperty(value) {
    const [handle, index, next] = ObjectHost._triple(value, 'property write');
    const exposed = this._find(handle);
    const property = exposed.interface.properties[index];
    if (!property) throw new ObjectNotFound(`${exposed.name} has no property ${index}`);
    if (!property.writable) throw new InvalidArgument(`${exposed.name}.${property.name} is read-only`);
    exposed.object[property.name] = checkValue(next, property.type, `${exposed.name}.${property.name}`);
    return null;
  }

  _invoke(link, callId, value) {
    const [handle, index, args] = ObjectHost._triple(value, 'call');
    const exposed = this._find(handle);
    const method = exposed.interface.methods[index];
    if (!method) throw new ObjectNotFound(`${exposed.name} has no method ${index}`);
    const where = `${exposed.name}.${Interface.signature(method)}`;
    if (!Array.isArray(args)) throw new InvalidArgument(`${where}: a call's arguments are a list`);
    if (args.length !== method.parameters.length) throw new InvalidArgument(`${where} takes ${method.parameters.length} arguments; ${args.length} were given`);
    const checked = args.map((arg, i) => checkValue(arg, method.parameters[i].type, `${where}'s argument ${method.parameters[i].name || i + 1}`));
    const failed = (error) => {
      const text = `${where} raised ${error?.name ?? 'an error'}: ${error?.message ?? String(error)}`;
      if (callId) link.fail(callId, INVOKE, error instanceof IpcError ? error.errno : ErrorCodes.RemoteError, text);
      else link.warn(text);
    };
    let result;
    try {
      result = exposed.object[method.name](...checked);
    } catch (error) {
      failed(error);
      return;
    }
    if (!(result instanceof Promise)) {
      if (callId) link.answer(callId, INVOKE, method.returns === 'void' ? null : result ?? null);
      return;
    }
    link.callsInFlight++; // bounded: the link holds further calls at its limit
    result.then((settled) => {
      if (callId) link.answer(callId, INVOKE, method.returns === 'void' ? null : settled ?? null);
    }, failed).finally(() => {
      link.callsInFlight--;
      link.takeBacklog();
    });
  }
}
