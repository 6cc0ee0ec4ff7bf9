import { lstatSync } from 'node:fs';
import path from 'node:path';

/**
 * Finding the D-Bus session bus when `DBUS_SESSION_BUS_ADDRESS` is not set, for the Linux keychain.
 *
 * MCP clients start servers with only HOME, LOGNAME, PATH, SHELL, TERM and USER from their environment (the MCP
 * SDK's DEFAULT_INHERITED_ENV_VARS, reference/docker-gateway-2026.md), so `docker-vaultmcp run` started by a client
 * sees neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR. systemd-logind gives every logged-in user a session
 * bus at the standard `$XDG_RUNTIME_DIR/bus`, i.e. `/run/user/UID/bus` (the freedesktop "user bus"). libdbus (which
 * @napi-rs/keyring 2.1.2 uses) looks at `$XDG_RUNTIME_DIR/bus` only when XDG_RUNTIME_DIR is set, and otherwise
 * tries X11 autolaunch, which fails ("Using X11 for dbus-daemon autolaunch was disabled"): checked here with the
 * pinned addon. So we compute the address the same way libdbus checks it (a socket, lstat, owned by us).
 */

/** The outside facts {@link sessionBusFallback} needs (injectable for tests). */
export interface SessionBusProbe {
  /** The environment to read (DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR). */
  env: Readonly<Record<string, string | undefined>>;
  /** Our real user id (process.getuid()). */
  uid: number;
  /** Root of per-user runtime directories; default `/run/user` (systemd-logind). */
  runtimeRoot?: string;
  /** lstat; default node:fs lstatSync. Returns undefined when the path does not exist. */
  lstat?: (p: string) => { isSocket(): boolean; uid: number } | undefined;
}

/**
 * The session bus address to use when none is set: `unix:path=$XDG_RUNTIME_DIR/bus`, else
 * `unix:path=/run/user/UID/bus`, when that path is a socket owned by `uid` (what libdbus requires of a user bus).
 * @returns the address, or undefined when DBUS_SESSION_BUS_ADDRESS is already set (non-empty) or no such socket exists
 */
export function sessionBusFallback(probe: SessionBusProbe): string | undefined {
  if (probe.env.DBUS_SESSION_BUS_ADDRESS) return undefined;
  const lstat = probe.lstat ?? defaultLstat;
  const dirs = [probe.env.XDG_RUNTIME_DIR, path.join(probe.runtimeRoot ?? '/run/user', String(probe.uid))].filter(
    (d): d is string => !!d && path.isAbsolute(d),
  );
  for (const dir of dirs) {
    const socket = path.join(dir, 'bus');
    const st = lstat(socket);
    if (st && st.isSocket() && st.uid === probe.uid) return `unix:path=${escapeDbusValue(socket)}`;
  }
  return undefined;
}

function defaultLstat(p: string): { isSocket(): boolean; uid: number } | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/** D-Bus address values escape every byte outside `[-0-9A-Za-z_/.\*]` as %XX (D-Bus specification, "Server Addresses"). */
export function escapeDbusValue(value: string): string {
  return Array.from(Buffer.from(value, 'utf8'))
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[-0-9A-Za-z_/.\\*]/.test(c) ? c : `%${b.toString(16).padStart(2, '0')}`;
    })
    .join('');
}

/**
 * Sets a variable in this process's real environment, where native code (libdbus's getenv) sees it. Node's
 * environment-object setter calls setenv(3); Bun's does not (checked with Bun 1.4.5: the addon still saw no address),
 * so under Bun the libc setenv is called through bun:ffi as well.
 * @param env the process's environment object (core/context.ts processEnvironment)
 * @returns true when the native environment was updated (or Node did it), false when it could not be
 */
export async function setNativeEnv(env: NodeJS.ProcessEnv, name: string, value: string): Promise<boolean> {
  env[name] = value;
  if (typeof (globalThis as { Bun?: unknown }).Bun === 'undefined') return true;
  try {
    const ffi = (await import('bun:ffi' as string)) as {
      dlopen(lib: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: { setenv(...a: unknown[]): number }; close(): void };
      ptr(b: Uint8Array): unknown;
    };
    const libs = ['libc.so.6', `libc.musl-${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}.so.1`, 'libc.so'];
    for (const lib of libs) {
      let handle: ReturnType<typeof ffi.dlopen> | undefined;
      try {
        handle = ffi.dlopen(lib, { setenv: { args: ['ptr', 'ptr', 'i32'], returns: 'i32' } });
      } catch {
        continue;
      }
      // the buffers stay referenced until setenv (which copies them) returns
      const nameBuf = Buffer.from(name + '\0', 'utf8');
      const valueBuf = Buffer.from(value + '\0', 'utf8');
      const rc = handle.symbols.setenv(ffi.ptr(nameBuf), ffi.ptr(valueBuf), 1);
      return rc === 0;
    }
  } catch {
    // no FFI: the keychain reports "no D-Bus session bus" with its usual hint
  }
  return false;
}
