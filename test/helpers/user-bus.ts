/**
 * A private D-Bus session bus listening at `<runtimeDir>/bus` with an unlocked gnome-keyring on it: the shape of a
 * desktop login's user bus (`/run/user/UID/bus`), for tests of processes started the way MCP clients start servers
 * (no DBUS_SESSION_BUS_ADDRESS, no XDG_RUNTIME_DIR).
 *
 * `startUserBus()` uses the real `/run/user/UID` when it does not exist yet and can be created (root in CI and dev
 * containers): then the production fallback is what finds it. Otherwise (a machine with a real login session) it
 * never touches the real one and uses a temp dir, which the caller must pass as XDG_RUNTIME_DIR (`viaXdg` true).
 * Needs dbus-daemon, dbus-send and gnome-keyring-daemon (Debian: dbus, gnome-keyring).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitUntil } from './wait.js';

export interface UserBus {
  runtimeDir: string;
  /** `unix:path=<runtimeDir>/bus` (for the test's own checks; never passed to the process under test). */
  address: string;
  /** True when the bus is in a temp dir that the process under test must be told about with XDG_RUNTIME_DIR. */
  viaXdg: boolean;
  stop(): Promise<void>;
}

/** True when the tools exist. */
export function userBusAvailable(): boolean {
  return ['dbus-daemon', 'dbus-send', 'gnome-keyring-daemon'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status === 0);
}

export async function startUserBus(): Promise<UserBus> {
  const uid = process.getuid?.() ?? 0;
  const real = path.join('/run/user', String(uid));
  let runtimeDir: string;
  let created = false;
  let viaXdg = false;
  if (!existsSync(real) && existsSync('/run/user')) {
    try {
      mkdirSync(real, { mode: 0o700 });
      created = true;
    } catch {
      // not allowed: a temp dir below
    }
  }
  if (created) runtimeDir = real;
  else {
    runtimeDir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-run-'));
    viaXdg = true;
  }
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-keyring-'));
  mkdirSync(path.join(scratch, 'data'), { mode: 0o700 });
  mkdirSync(path.join(scratch, 'run'), { mode: 0o700 });
  const address = `unix:path=${path.join(runtimeDir, 'bus')}`;
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const c of children.reverse()) {
      if (c.exitCode === null && c.signalCode === null) {
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await gone;
      }
    }
    rmSync(scratch, { recursive: true, force: true });
    if (created || viaXdg) rmSync(runtimeDir, { recursive: true, force: true });
  };
  try {
    const daemon = spawn('dbus-daemon', ['--session', '--nofork', `--address=${address}`], { stdio: 'ignore' });
    children.push(daemon);
    await waitUntil(() => existsSync(path.join(runtimeDir, 'bus')), 'the session bus socket');
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, DBUS_SESSION_BUS_ADDRESS: address, XDG_DATA_HOME: path.join(scratch, 'data'), XDG_RUNTIME_DIR: path.join(scratch, 'run') };
    const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
    children.push(keyring);
    keyring.stdin!.end(Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2));
    await waitUntil(
      () =>
        /boolean true/.test(
          spawnSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'], { env, encoding: 'utf8' }).stdout ?? '',
        ),
      'gnome-keyring on the user bus',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { runtimeDir, address, viaXdg, stop };
}
