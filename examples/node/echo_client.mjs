#!/usr/bin/env node
// Talks to examples/echo's echo_server from Node.js, encrypted as every
// libipc connection is by default:
//
//   build/examples/echo/echo_server &
//   node examples/node/echo_client.mjs [name] [text]
import { IpcError, connect } from '../../node/index.js';

const [name = 'echo_server', text = 'Hello, Server!'] = process.argv.slice(2);
try {
  const client = await connect(name);
  await client.write(1, text);
  const reply = await client.receive({ timeout: 15000 });
  console.log(`Client received: ${reply.data} (over ${client.encryption})`);
  await client.close();
} catch (error) {
  if (!(error instanceof IpcError)) throw error;
  console.error(`echo failed: ${error.name}: ${error.message}`);
  process.exitCode = 1;
}
