/**
 * The emulator drops connections that never finish a request (issue 9, point 13): headers that never end, a body
 * shorter than its Content-Length. A request that is complete keeps its connection while its answer hangs (the
 * hang fault), so fault tests keep working. Raw TCP sockets play the slow client.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startVaultEmulator, type VaultEmulator } from '../../src/emulator/index.js';

describe('emulator request and header timeouts', () => {
  let emu: VaultEmulator;
  let dir: string;
  let port: number;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-emu-timeouts-'));
    emu = await startVaultEmulator({ port: 0, stateDir: dir, headersTimeoutMs: 300, requestTimeoutMs: 600 });
    port = Number(new URL(emu.info.endpoint).port);
  });
  after(async () => {
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Opens a socket, writes `data`, resolves with ms until the server closed it (or rejects after `maxMs`). */
  function closedAfter(data: string, maxMs = 5000): Promise<{ ms: number; reply: string }> {
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const socket: Socket = connect(port, '127.0.0.1', () => socket.write(data));
      let reply = '';
      socket.on('data', (b) => (reply += b.toString()));
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ ms: performance.now() - t0, reply });
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`still open after ${maxMs} ms`));
      }, maxMs);
    });
  }

  it('headers that never end: the connection is dropped after the headers timeout', async () => {
    const { ms } = await closedAfter('GET /_emulator/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    assert.ok(ms >= 250 && ms < 3000, `closed after ${Math.round(ms)} ms`);
  });

  it('a body shorter than its Content-Length: the connection is dropped after the request timeout', async () => {
    const { ms } = await closedAfter('POST /_emulator/secrets HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":');
    assert.ok(ms >= 250 && ms < 3000, `closed after ${Math.round(ms)} ms`);
  });

  it('a complete request whose answer hangs (the hang fault) keeps its connection past both timeouts', async () => {
    emu.faults.add({ hang: true });
    try {
      await assert.rejects(
        closedAfter('GET /20190301/secretbundles/ocid1.vaultsecret.oc1..x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 1500),
        /still open after 1500 ms/,
      );
    } finally {
      emu.faults.clear();
    }
  });

  it('a complete request is answered; a connection that says nothing is dropped too', async () => {
    const { reply } = await closedAfter('GET /_emulator/info HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 200/);
    const idle = await closedAfter('');
    assert.ok(idle.ms < 3000);
  });
});
