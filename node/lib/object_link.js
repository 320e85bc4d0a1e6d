// One channel's share of remote-object traffic (docs/PROTOCOL.md, section
// 7c): the calls it makes as a replica's side, the replicas it holds, and
// what it passes to the objects its side exposes.
import * as wire from './wire.js';
import { cborPayload, decodeCbor } from './cbor.js';
import { ErrorCodes, InvalidArgument, IpcError, ObjectNotFound, ProtocolMismatch, RemoteError, errorFor } from './errors.js';
import { Interface } from './objects.js';
import { Replica } from './replica.js';
import { ACQUIRE, EMISSION, LIST, MISSED, RELEASE, WITHDRAWN } from './source.js';

const CALLS_IN_FLIGHT = 1024; // a peer's calls of async methods running at once

export class ObjectLink {
  constructor(channel, host) {
    this.channel = channel;
    this.host = host; // the objects this side exposes, if any
    this.replicas = new Map(); // by the source's handle
    this.backlog = []; // calls held while there is no room for their answers
    this.callsInFlight = 0; // the peer's calls of async methods not finished yet
  }

  get windowFull() {
    return this.channel._full;
  }

  get _roomFull() {
    return this.channel._full || this.callsInFlight >= CALLS_IN_FLIGHT;
  }

  /** Object traffic from the peer: taken while there is room for its answer; otherwise held, not acknowledged, so a peer that confirms nothing runs out of window. */
  take(event) {
    if (this.backlog.length || this._roomFull) {
      this.backlog.push(event);
      return;
    }
    this.channel._connection.delivered();
    this.onMessage(event);
  }

  takeBacklog() {
    while (this.backlog.length && !this._roomFull && this.channel._closed === null) {
      this.channel._connection.delivered();
      this.onMessage(this.backlog.shift());
    }
    this.channel._acknowledgeSoon();
  }

  warn(text) {
    process.emitWarning(text, 'LibipcWarning');
  }

  // --- as a replica's side
  async call(operation, value, timeout) {
    const peer = this.channel._connection.peer;
    if (peer && !(peer.features & wire.FEATURE_OBJECTS)) throw new ProtocolMismatch(`the peer (${peer.library}) has no remote objects`);
    let answer;
    try {
      answer = await this.channel._call(wire.OBJECT, operation, cborPayload(value), timeout, 'object call');
    } catch (error) {
      if (error instanceof RemoteError && error.remoteCode !== ErrorCodes.RemoteError) throw errorFor(error.remoteCode, error.message);
      throw error;
    }
    return decodeCbor(answer.data, 'the answer to an object call');
  }

  async acquire(name, timeout) {
    const replica = new Replica(this, name, await this.call(ACQUIRE, { name }, timeout));
    this._keep(replica);
    return replica;
  }

  async list(timeout) {
    const answer = await this.call(LIST, null, timeout);
    if (!Array.isArray(answer) || !answer.every((entry) => entry && typeof entry === 'object')) throw new InvalidArgument("the peer's list of objects is malformed");
    return new Map(answer.map((entry) => [String(entry.name), Interface.fromCbor(entry.interface ?? {})]));
  }

  _keep(replica) {
    const list = this.replicas.get(replica.handle) ?? [];
    list.push(replica);
    this.replicas.set(replica.handle, list);
  }

  forgetReplica(replica) {
    const list = (this.replicas.get(replica.handle) ?? []).filter((r) => r !== replica);
    if (list.length) this.replicas.set(replica.handle, list);
    else this.replicas.delete(replica.handle);
  }

  allReplicas() {
    return [...this.replicas.values()].flat();
  }

  // --- sending
  send(operation, value) {
    if (this.channel._closed !== null) return;
    try {
      this.channel._send(operation, cborPayload(value), wire.token(wire.OBJECT, 0));
    } catch (error) {
      if (!(error instanceof IpcError)) throw error;
      this.warn(`object message (operation ${operation}) not sent: ${error.message}`);
    }
  }

  answer(callId, operation, value) {
    let data;
    try {
      data = cborPayload(value);
    } catch (error) {
      this.fail(callId, operation, ErrorCodes.InvalidArgument, `the result cannot be sent: ${error.message}`);
      return;
    }
    const limit = this.channel._connection.peer?.maxMessageSize ?? Infinity;
    if (data.length > limit) { // refused here, for that call only: the peer could not take it
      this.fail(callId, operation, ErrorCodes.InvalidArgument, `the answer is ${data.length} bytes, over the caller's maximum of ${limit}`);
      return;
    }
    if (this.channel._closed === null) this.channel._send(operation, data, wire.token(wire.REPLY, callId));
  }

  fail(callId, operation, code, text) {
    if (this.channel._closed === null) this.channel._send(operation, Buffer.from(text), wire.errorReply(callId, code));
  }

  // --- receiving
  onMessage({ callId, operation, data }) {
    let value;
    try {
      value = decodeCbor(data, `object message (operation ${operation})`);
    } catch (error) {
      if (callId) this.fail(callId, operation, ErrorCodes.ProtocolError, error.message);
      this.warn(error.message);
      return;
    }
    if (operation === EMISSION || operation === MISSED || operation === WITHDRAWN) this._toReplicas(operation, value);
    else if (this.host) this.host.onMessage(this, callId, operation, value);
    else if (operation === LIST && callId) this.answer(callId, LIST, []);
    else if (callId) this.fail(callId, operation, ErrorCodes.ObjectNotFound, 'this peer exposes no objects');
  }

  _toReplicas(operation, value) {
    if (!Array.isArray(value) || value.length < 2 || !Number.isInteger(value[0])) {
      this.warn(`a malformed object message (operation ${operation}): ignored`);
      return;
    }
    for (const replica of [...(this.replicas.get(value[0]) ?? [])]) {
      if (operation === EMISSION && value.length === 4) replica._onEmission(value[1], value[2], value[3]);
      else if (operation === MISSED && value.length === 3) replica._onMissed(value[1], value[2]);
      else if (operation === WITHDRAWN) {
        this.forgetReplica(replica);
        replica._setState('gone', new ObjectNotFound(`${replica.name} was withdrawn: ${value[1]}`));
      }
    }
  }

  windowOpened() {
    this.host?.windowOpened(this);
    this.takeBacklog();
  }

  // --- the connection's life
  suspect() {
    for (const replica of this.allReplicas()) replica._setState('suspect');
  }

  resumed() {
    for (const replica of this.allReplicas()) replica._setState('valid');
  }

  /** The peer's process restarted: its handles are new, its values may differ. */
  restarted() {
    this.host?.forget(this); // the new process acquired nothing yet
    const replicas = this.allReplicas();
    this.replicas.clear();
    for (const replica of replicas) {
      this.call(ACQUIRE, { name: replica.name }, 30000).then((answer) => {
        if (replica.state === 'released') { // released meanwhile: the new process lets it go too
          this.send(RELEASE, { handle: answer?.handle });
          return;
        }
        this._keep(replica);
        replica._reacquired(answer);
      }).catch((error) => {
        this.forgetReplica(replica);
        replica._setState('gone', error);
      });
    }
  }

  closed(error) {
    this.host?.forget(this);
    for (const replica of this.allReplicas()) replica._setState('gone', error);
    this.replicas.clear();
  }
}
