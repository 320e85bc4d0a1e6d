// Addresses parse as the C++ library parses them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidAddress, parseAddress } from '../index.js';

test('valid addresses', () => {
  const cases = {
    echo: '/tmp/echo.sock',
    'local:echo': '/tmp/echo.sock',
    '/run/app.sock': '/run/app.sock',
    'tcp://127.0.0.1:7000': 'tcp://127.0.0.1:7000',
    'tcp://localhost': 'tcp://127.0.0.1:6969',
    'tcp://:80': 'tcp://127.0.0.1:80',
    'tcp://[::1]:9': 'tcp://[::1]:9',
    'tcp://build-server.example:7000': 'tcp://build-server.example:7000',
  };
  for (const [text, expected] of Object.entries(cases)) assert.equal(String(parseAddress(text)), expected, text);
});

test('an invalid address says why', () => {
  const cases = {
    '': 'empty',
    'a/b': "must not contain '/'",
    'tcp://1.2.3.4:70000': 'port must be 0-65535',
    'tcp://999.1.1.1': 'neither an IP address nor a host name',
    'tcp://build server': 'neither an IP address nor a host name',
    'tcp://[::1': "missing ']'",
    'http://x': 'unknown scheme',
    [`/${'x'.repeat(120)}`]: 'longer than 107 bytes',
  };
  for (const [text, says] of Object.entries(cases)) {
    assert.throws(() => parseAddress(text), (error) => error instanceof InvalidAddress && error.code === 'InvalidAddress' && error.message.includes(says), text);
  }
});
