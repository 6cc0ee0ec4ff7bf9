/** The user session bus fallback for the Linux keychain (src/core/session-bus.ts). */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { escapeDbusValue, sessionBusFallback } from '../../src/core/session-bus.js';

const uid = process.getuid?.() ?? 0;

describe('sessionBusFallback', { skip: process.platform === 'win32' }, () => {
  let root: string;
  let server: net.Server;
  let xdg: string;
  let xdgServer: net.Server;
  const listen = (s: net.Server, p: string) => new Promise<void>((resolve) => s.listen(p, resolve));
  before(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-bus-'));
    mkdirSync(path.join(root, 'run', String(uid)), { recursive: true });
    server = net.createServer();
    await listen(server, path.join(root, 'run', String(uid), 'bus'));
    xdg = path.join(root, 'xdg dir');
    mkdirSync(xdg);
    xdgServer = net.createServer();
    await listen(xdgServer, path.join(xdg, 'bus'));
  });
  after(() => {
    server.close();
    xdgServer.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps an address that is set', () => {
    assert.equal(sessionBusFallback({ env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }, uid, runtimeRoot: path.join(root, 'run') }), undefined);
  });
  it('finds /run/user/UID/bus without XDG_RUNTIME_DIR (what an MCP client passes)', () => {
    const address = sessionBusFallback({ env: { HOME: '/h', PATH: '/bin' }, uid, runtimeRoot: path.join(root, 'run') });
    assert.equal(address, `unix:path=${path.join(root, 'run', String(uid), 'bus')}`);
  });
  it('treats an empty DBUS_SESSION_BUS_ADDRESS as unset', () => {
    assert.ok(sessionBusFallback({ env: { DBUS_SESSION_BUS_ADDRESS: '' }, uid, runtimeRoot: path.join(root, 'run') }));
  });
  it('prefers $XDG_RUNTIME_DIR/bus and escapes the path', () => {
    const address = sessionBusFallback({ env: { XDG_RUNTIME_DIR: xdg }, uid, runtimeRoot: path.join(root, 'run') });
    assert.equal(address, `unix:path=${path.join(root, 'xdg%20dir', 'bus')}`);
  });
  it('falls back to /run/user/UID when XDG_RUNTIME_DIR has no bus', () => {
    const address = sessionBusFallback({ env: { XDG_RUNTIME_DIR: path.join(root, 'nowhere') }, uid, runtimeRoot: path.join(root, 'run') });
    assert.equal(address, `unix:path=${path.join(root, 'run', String(uid), 'bus')}`);
  });
  it('ignores a bus of another user, a regular file, a symlink and a missing socket', () => {
    assert.equal(sessionBusFallback({ env: {}, uid: uid + 1, runtimeRoot: path.join(root, 'run'), lstat: () => ({ isSocket: () => true, uid }) }), undefined);
    const other = path.join(root, 'other');
    mkdirSync(path.join(other, String(uid)), { recursive: true });
    writeFileSync(path.join(other, String(uid), 'bus'), '');
    assert.equal(sessionBusFallback({ env: {}, uid, runtimeRoot: other }), undefined);
    const linked = path.join(root, 'linked');
    mkdirSync(path.join(linked, String(uid)), { recursive: true });
    symlinkSync(path.join(root, 'run', String(uid), 'bus'), path.join(linked, String(uid), 'bus'));
    assert.equal(sessionBusFallback({ env: {}, uid, runtimeRoot: linked }), undefined);
    assert.equal(sessionBusFallback({ env: {}, uid, runtimeRoot: path.join(root, 'none') }), undefined);
  });
  it('escapes per the D-Bus address rules', () => {
    assert.equal(escapeDbusValue('/run/user/1000/bus'), '/run/user/1000/bus');
    assert.equal(escapeDbusValue('/a,b=c;d é'), '/a%2cb%3dc%3bd%20%c3%a9');
  });
});
