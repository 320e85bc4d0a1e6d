// The Noise handshakes against the published vectors the C++ tests use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Handshake, NN, NNPSK0 } from '../lib/noise.js';
import { DecryptionFailed, HandshakeFailed } from '../lib/errors.js';

const vectors = JSON.parse(readFileSync(new URL('../../tests/data/noise_nn_aesgcm_sha256.json', import.meta.url))).vectors;
const hex = (text) => Buffer.from(text, 'hex');

test('the published vectors', () => {
  assert.deepEqual(new Set(vectors.map((v) => v.protocol_name)), new Set([NN, NNPSK0]));
  for (const v of vectors) {
    const initiator = new Handshake(true, hex(v.init_prologue), v.init_psks ? hex(v.init_psks[0]) : null, hex(v.init_ephemeral));
    const responder = new Handshake(false, hex(v.resp_prologue), v.resp_psks ? hex(v.resp_psks[0]) : null, hex(v.resp_ephemeral));
    assert.equal(initiator.protocol, v.protocol_name);
    const [m0, m1, ...rest] = v.messages;
    const zero = initiator.writeMessage(hex(m0.payload));
    assert.equal(zero.toString('hex'), m0.ciphertext);
    assert.equal(responder.readMessage(zero).toString('hex'), m0.payload);
    const one = responder.writeMessage(hex(m1.payload));
    assert.equal(one.toString('hex'), m1.ciphertext);
    assert.equal(initiator.readMessage(one).toString('hex'), m1.payload);
    assert.equal(initiator.handshakeHash.toString('hex'), v.handshake_hash);
    assert.equal(responder.handshakeHash.toString('hex'), v.handshake_hash);
    const [iSend, iReceive] = initiator.split();
    const [rSend, rReceive] = responder.split();
    rest.forEach((message, n) => {
      const [sender, receiver] = n % 2 === 0 ? [iSend, rReceive] : [rSend, iReceive];
      const sealed = sender.encrypt(hex(message.payload));
      assert.equal(sealed.toString('hex'), message.ciphertext);
      assert.equal(receiver.decrypt(sealed).toString('hex'), message.payload);
    });
  }
});

test('a wrong pre-shared key fails the handshake', () => {
  const initiator = new Handshake(true, Buffer.from('p'), Buffer.alloc(32));
  const responder = new Handshake(false, Buffer.from('p'), Buffer.alloc(32, 1));
  assert.throws(() => responder.readMessage(initiator.writeMessage()), HandshakeFailed);
});

test('a replayed record does not open', () => {
  const initiator = new Handshake(true, Buffer.from('p'));
  const responder = new Handshake(false, Buffer.from('p'));
  responder.readMessage(initiator.writeMessage());
  initiator.readMessage(responder.writeMessage());
  const [send] = initiator.split();
  const [, receive] = responder.split();
  const record = send.encrypt(Buffer.from('once'));
  assert.equal(receive.decrypt(record).toString(), 'once');
  assert.throws(() => receive.decrypt(record), DecryptionFailed);
});
