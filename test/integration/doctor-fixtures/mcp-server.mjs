#!/usr/bin/env node
// Minimal MCP stdio server for doctor tests: answers initialize and tools/list. With FIXTURE_BANNER set it first
// prints that text on stdout (the mistake doctor must catch). It echoes nothing of its environment.
import { createInterface } from 'node:readline';

if (process.env.FIXTURE_BANNER) process.stdout.write(`${process.env.FIXTURE_BANNER}\n`);
if (process.env.FIXTURE_REQUIRE && !process.env[process.env.FIXTURE_REQUIRE]) {
  process.stderr.write(`missing ${process.env.FIXTURE_REQUIRE}\n`);
  process.exit(1);
}
const send = (msg) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  const msg = JSON.parse(line);
  if (msg.method === 'initialize') {
    send({ id: msg.id, result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'doctor-fixture', version: '1.0.0' } } });
  } else if (msg.method === 'tools/list') {
    send({ id: msg.id, result: { tools: [{ name: 'echo', description: 'echo', inputSchema: { type: 'object' } }, { name: 'add', description: 'add', inputSchema: { type: 'object' } }] } });
  } else if (msg.id !== undefined) {
    send({ id: msg.id, error: { code: -32601, message: 'method not found' } });
  }
});
