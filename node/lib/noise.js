// The Noise handshakes libipc uses: Noise_NN_25519_AESGCM_SHA256 and
// Noise_NNpsk0_25519_AESGCM_SHA256 (Noise Protocol Framework, revision 34),
// built on node:crypto's X25519, AES-256-GCM, SHA-256 and HMAC. Pure: no
// I/O. Checked against the published vectors in test/noise.test.js.
import crypto from 'node:crypto';
import { DecryptionFailed, HandshakeFailed } from './errors.js';

export const NN = 'Noise_NN_25519_AESGCM_SHA256';
export const NNPSK0 = 'Noise_NNpsk0_25519_AESGCM_SHA256';
export const DH_LENGTH = 32;
export const TAG_LENGTH = 16;
const MAX_NONCE = 2n ** 64n - 1n;
const EMPTY = Buffer.alloc(0);
// DER prefixes that wrap a raw X25519 key for node:crypto.
const PRIVATE_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const PUBLIC_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

const hash = (data) => crypto.createHash('sha256').update(data).digest();
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

function hkdf(chainingKey, material, outputs) {
  // Noise's HKDF: HMAC-SHA256 in its extract-then-expand form.
  const temp = hmac(chainingKey, material);
  const out = [];
  let previous = EMPTY;
  for (let i = 1; i <= outputs; i++) {
    previous = hmac(temp, Buffer.concat([previous, Buffer.from([i])]));
    out.push(previous);
  }
  return out;
}

/** One direction's key and nonce: AES-256-GCM, nonce = 4 zero bytes and the 64-bit counter, big-endian. */
export class CipherState {
  constructor(key = null) {
    this.key = key;
    this.nonce = 0n;
    this._iv = Buffer.alloc(12);
  }

  get hasKey() {
    return this.key !== null;
  }

  _nextNonce() {
    if (this.nonce >= MAX_NONCE) throw new DecryptionFailed("the cipher's nonces are used up: the connection must end");
    this._iv.writeBigUInt64BE(this.nonce, 4);
    this.nonce += 1n;
    return this._iv;
  }

  encrypt(plaintext, associated = EMPTY) {
    if (this.key === null) return plaintext;
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, this._nextNonce());
    if (associated.length) cipher.setAAD(associated);
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    return Buffer.concat([head, tail, cipher.getAuthTag()]);
  }

  decrypt(ciphertext, associated = EMPTY) {
    if (this.key === null) return ciphertext;
    const nonce = this._nextNonce();
    const failed = () => new DecryptionFailed(
      `a record of ${ciphertext.length} bytes failed to open: it was altered, replayed or reflected`);
    if (ciphertext.length < TAG_LENGTH) throw failed();
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, nonce);
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_LENGTH));
    if (associated.length) decipher.setAAD(associated);
    try {
      const head = decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_LENGTH));
      const tail = decipher.final();
      return tail.length ? Buffer.concat([head, tail]) : head;
    } catch {
      throw failed();
    }
  }
}

function privateKey(raw) {
  return crypto.createPrivateKey({ key: Buffer.concat([PRIVATE_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

function publicKey(raw) {
  return crypto.createPublicKey({ key: Buffer.concat([PUBLIC_PREFIX, raw]), format: 'der', type: 'spki' });
}

/**
 * One side of an NN or NNpsk0 handshake. `ephemeral` (32 bytes) fixes the
 * ephemeral private key, for the test vectors; by default a fresh one is made.
 */
export class Handshake {
  constructor(initiator, prologue, psk = null, ephemeral = null) {
    if (psk !== null && psk.length !== 32) throw new RangeError('a pre-shared key has 32 bytes');
    this.protocol = psk !== null ? NNPSK0 : NN;
    const name = Buffer.from(this.protocol);
    this._h = name.length <= 32 ? Buffer.concat([name, Buffer.alloc(32 - name.length)]) : hash(name);
    this._ck = this._h;
    this._cipher = new CipherState();
    this._initiator = initiator;
    this._psk = psk;
    this._e = ephemeral !== null ? privateKey(ephemeral) : crypto.generateKeyPairSync('x25519').privateKey;
    this._re = null;
    this._mixHash(prologue);
  }

  // --- SymmetricState
  _mixHash(data) {
    this._h = hash(Buffer.concat([this._h, data]));
  }

  _mixKey(material) {
    const [ck, key] = hkdf(this._ck, material, 2);
    this._ck = ck;
    this._cipher = new CipherState(key);
  }

  _mixKeyAndHash(material) {
    const [ck, tempH, key] = hkdf(this._ck, material, 3);
    this._ck = ck;
    this._mixHash(tempH);
    this._cipher = new CipherState(key);
  }

  _encryptAndHash(plaintext) {
    const ciphertext = this._cipher.encrypt(plaintext, this._h);
    this._mixHash(ciphertext);
    return ciphertext;
  }

  _decryptAndHash(ciphertext) {
    let plaintext;
    try {
      plaintext = this._cipher.decrypt(ciphertext, this._h);
    } catch {
      throw new HandshakeFailed("the Noise handshake failed: the peer's message did not open (a wrong pre-shared key, or tampering)");
    }
    this._mixHash(ciphertext);
    return plaintext;
  }

  // --- tokens
  _writeE() {
    const pub = crypto.createPublicKey(this._e).export({ format: 'der', type: 'spki' }).subarray(PUBLIC_PREFIX.length);
    this._mixHash(pub);
    if (this._psk !== null) this._mixKey(pub);
    return pub;
  }

  _readE(message) {
    if (message.length < DH_LENGTH) throw new HandshakeFailed(`a Noise handshake message of ${message.length} bytes is too short`);
    const pub = message.subarray(0, DH_LENGTH);
    this._re = publicKey(pub);
    this._mixHash(pub);
    if (this._psk !== null) this._mixKey(pub);
    return message.subarray(DH_LENGTH);
  }

  _ee() {
    this._mixKey(crypto.diffieHellman({ privateKey: this._e, publicKey: this._re }));
  }

  // --- messages: 0 from the initiator (psk, e), 1 from the responder (e, ee)
  writeMessage(payload = EMPTY) {
    if (this._initiator) {
      if (this._psk !== null) this._mixKeyAndHash(this._psk);
      return Buffer.concat([this._writeE(), this._encryptAndHash(payload)]);
    }
    const out = this._writeE();
    this._ee();
    return Buffer.concat([out, this._encryptAndHash(payload)]);
  }

  readMessage(message) {
    if (!this._initiator) {
      if (this._psk !== null) this._mixKeyAndHash(this._psk);
      return this._decryptAndHash(this._readE(message));
    }
    const rest = this._readE(message);
    this._ee();
    return this._decryptAndHash(rest);
  }

  get handshakeHash() {
    return this._h;
  }

  /** [sending, receiving] for this side. */
  split() {
    const [first, second] = hkdf(this._ck, EMPTY, 2);
    return this._initiator ? [new CipherState(first), new CipherState(second)] : [new CipherState(second), new CipherState(first)];
  }
}
