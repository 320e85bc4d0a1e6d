// libipc for Node.js: the native protocol of the libipc Qt library.
export { connect, Client } from './lib/client.js';
export { Channel } from './lib/channel.js';
export { Server, Peer } from './lib/server.js';
export { Message } from './lib/connection.js';
export { Address, parseAddress } from './lib/address.js';
export { cborPayload, decodeCbor } from './lib/cbor.js';
export { Interface } from './lib/objects.js';
export { Replica } from './lib/replica.js';
export * from './lib/errors.js';
