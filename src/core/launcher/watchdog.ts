import { spawn } from 'node:child_process';

/**
 * The server must not outlive us, even when we are killed with SIGKILL (no handler of ours runs then). On POSIX a
 * tiny supervisor does it: `/bin/sh` in a session of its own, blocked reading a pipe whose only write end is ours.
 * - We exit normally: we have already stopped the server's process group, so we write one line and it exits.
 * - We die any other way: the kernel closes our end and its `read` sees EOF. The server sees EOF on its stdin at
 *   the same moment; the watchdog gives it the stdin grace period to exit by itself, then sends SIGTERM to its
 *   process group, then SIGKILL after the stop timeout: the same sequence as `run` follows when the client goes away.
 * This is the effect of Linux's `prctl(PR_SET_PDEATHSIG)`, but for the server's whole process group (the
 * parent-death signal reaches only the direct child, not the workers it started) and the same on macOS. Independently,
 * the server's stdin is a pipe whose write end only we hold, so it sees EOF when we die, everywhere.
 * Windows has no process groups or `/bin/sh`: there only the stdin EOF holds (documented in docs/run.md).
 * Cost: one fork+exec of `/bin/sh` (dash: ~1 ms, ~1 MB), not awaited (bench/RESULTS.md "Launch path").
 */

const SCRIPT = [
  'IFS= read -r _ && exit 0', // a line: we exited normally and cleaned up ourselves
  'sleep "$3"', // EOF: we died. The server saw EOF too: time to exit by itself
  'kill -s TERM -- "-$1" 2>/dev/null || exit 0', // nothing left in the group → done
  'sleep "$2"',
  'kill -s KILL -- "-$1" 2>/dev/null',
  'exit 0',
].join('\n');

/** A running watchdog; {@link Watchdog.disarm} tells it we cleaned up ourselves. */
export interface Watchdog {
  /** Stands the watchdog down (idempotent, never throws). Call once the server's process group is gone. */
  disarm(): void;
  /** The watchdog's pid (tests), undefined when it could not start. */
  readonly pid: number | undefined;
}

/**
 * Starts the watchdog for the process group `pgid` (the server's pid: it leads its own group).
 * @param pgid process group id of the MCP server, > 1
 * @param stopTimeoutMs ms between the watchdog's SIGTERM and SIGKILL
 * @param stdinGraceMs ms between our death and the watchdog's SIGTERM
 * @param shell the POSIX shell to run it with; default `/bin/sh`
 * @returns the watchdog; a no-op one on Windows or when the shell cannot be started (never throws: the stdin EOF
 *   still holds, and `run` must not fail for the lack of it)
 */
export function startWatchdog(pgid: number, stopTimeoutMs: number, stdinGraceMs: number, shell = '/bin/sh'): Watchdog {
  const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);
  if (process.platform === 'win32' || !(pgid > 1)) return { disarm() {}, pid: undefined };
  let child;
  try {
    child = spawn(shell, ['-c', SCRIPT, 'vaultmcp-watchdog', String(pgid), seconds(stopTimeoutMs), seconds(stdinGraceMs)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true, // its own session: a signal to our process group (Ctrl-C, `kill -- -PGID`) does not reach it
      env: { PATH: '/usr/bin:/bin' }, // nothing of ours, and no secret
      cwd: '/',
    });
  } catch {
    return { disarm() {}, pid: undefined };
  }
  child.on('error', () => {});
  child.stdin!.on('error', () => {});
  // neither the process nor its pipe may keep our event loop alive
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  let disarmed = false;
  return {
    pid: child.pid,
    disarm() {
      if (disarmed) return;
      disarmed = true;
      try {
        child.stdin!.end('\n');
      } catch {
        /* already gone */
      }
    },
  };
}
