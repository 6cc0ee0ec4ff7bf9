import { execFile } from 'node:child_process';
import { constants, rmSync } from 'node:fs';
import { lstat, mkdtemp, open, rm, stat, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sweepDeadProcessDirs } from '../dead-process-dirs.js';

/**
 * A named pipe that hands the Docker MCP gateway its `--secrets` payload from memory, every time the gateway
 * opens it, for as long as we keep it.
 *
 * Why a FIFO (reference/docker-gateway-2026.md "--secrets"): the gateway reads its secrets file with
 * `os.ReadFile` at start and again on every watched-config reload, and never watches the file itself. A FIFO's
 * content only ever lives in the kernel's pipe buffer, so no value touches a disk. The gateway blocks in open()
 * while no one holds the write end (and then ignores SIGTERM), so a writer is always waiting in open() here until
 * {@link SecretsFifo.close}.
 *
 * Layout: `<base>/vaultmcp-gateway-<pid>-<random>/secrets.env`, the directory 0700 (mkdtemp) and the FIFO 0600,
 * on a memory-backed filesystem when there is one ({@link fifoBaseDirs}). The pid in the name lets a later run
 * remove the directory of a run that was killed before it could clean up ({@link sweepStaleFifoDirs}).
 */
export interface SecretsFifo {
  /** Absolute path of the FIFO (what `--secrets` gets). */
  readonly path: string;
  /** The private directory holding it. */
  readonly dir: string;
  /** Times the payload was handed out (one per open by a reader). */
  readonly served: number;
  /** Replaces the payload for the next opens (the old buffer is zeroed). */
  setPayload(payload: Buffer): void;
  /** Stops serving, removes the FIFO and its directory, zeroes the payload. Idempotent; never throws. */
  close(): Promise<void>;
  /** The synchronous last resort for process 'exit' handlers: removes the directory. Never throws. */
  removeSync(): void;
}

/** Directory-name prefix of our FIFO directories. */
export const FIFO_DIR_PREFIX = 'vaultmcp-gateway-';

/**
 * Where FIFO directories may go, best first: `$XDG_RUNTIME_DIR` (per-user tmpfs on systemd systems), `/dev/shm`
 * (tmpfs on Linux), then the temp dir (macOS has no tmpfs; the FIFO still stores nothing on disk).
 * @param env the environment (XDG_RUNTIME_DIR)
 */
export function fifoBaseDirs(env: NodeJS.ProcessEnv): string[] {
  const dirs: string[] = [];
  if (env.XDG_RUNTIME_DIR && path.isAbsolute(env.XDG_RUNTIME_DIR)) dirs.push(env.XDG_RUNTIME_DIR);
  if (process.platform === 'linux') dirs.push('/dev/shm');
  dirs.push(os.tmpdir());
  return dirs;
}

/**
 * Creates the FIFO in the first usable base directory and starts serving `payload`.
 * @param options.baseDirs candidates ({@link fifoBaseDirs})
 * @param options.reopenDelayMs pause after each hand-out before waiting for the next reader, so the reader that
 *   just got its copy sees end-of-file and goes (if it has not, it gets one more identical copy; duplicate lines
 *   are harmless to the gateway's parser); default 20
 * @param options.onServed called after each hand-out with the count
 * @throws Error when no base directory works or `mkfifo` is unavailable (no named pipes on Windows)
 */
export async function createSecretsFifo(options: {
  baseDirs: readonly string[];
  payload: Buffer;
  reopenDelayMs?: number;
  onServed?: (count: number) => void;
}): Promise<SecretsFifo> {
  if (process.platform === 'win32') throw new Error('named pipes (FIFOs) are not available on Windows');
  let dir: string | undefined;
  const problems: string[] = [];
  for (const base of options.baseDirs) {
    try {
      const s = await stat(base);
      if (!s.isDirectory()) continue;
      const made = await mkdtemp(path.join(base, `${FIFO_DIR_PREFIX}${process.pid}-`));
      const check = await lstat(made);
      if (!check.isDirectory() || (check.mode & 0o077) !== 0 || (process.getuid && check.uid !== process.getuid())) {
        await rm(made, { recursive: true, force: true });
        problems.push(`${base}: the new directory is not private`);
        continue;
      }
      dir = made;
      break;
    } catch (err) {
      problems.push(`${base}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  if (!dir) throw new Error(`cannot create a private directory for the secrets pipe (${problems.join('; ') || 'no candidate'})`);
  const fifoPath = path.join(dir, 'secrets.env');
  try {
    await new Promise<void>((resolve, reject) => {
      execFile('mkfifo', ['-m', '600', fifoPath], { timeout: 10_000 }, (err) => (err ? reject(err) : resolve()));
    });
    const s = await lstat(fifoPath);
    if (!s.isFIFO() || (s.mode & 0o777) !== 0o600) throw new Error('the pipe was not created 0600');
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? 'mkfifo is not installed (coreutils)' : `cannot create the secrets pipe: ${(err as Error).message.split('\n')[0]}`);
  }

  let payload = Buffer.from(options.payload);
  let closed = false;
  let served = 0;
  let pending: Promise<FileHandle> | undefined;
  const reopenDelayMs = options.reopenDelayMs ?? 20;
  const dirPath = dir;

  const loop = async () => {
    while (!closed) {
      let handle: FileHandle;
      try {
        // Blocks (in libuv's thread pool) until a reader opens the FIFO: the gateway's os.ReadFile.
        pending = open(fifoPath, constants.O_WRONLY);
        handle = await pending;
      } catch {
        if (closed) return;
        await delay(reopenDelayMs);
        continue;
      } finally {
        pending = undefined;
      }
      try {
        if (!closed) await handle.write(payload);
      } catch {
        // EPIPE: the reader went away before reading; it opens again on its next read
      } finally {
        await handle.close().catch(() => {});
      }
      if (closed) return;
      served++;
      try {
        options.onServed?.(served);
      } catch {
        /* reporting never breaks serving */
      }
      await delay(reopenDelayMs);
    }
  };
  const running = loop();

  const fifo: SecretsFifo = {
    path: fifoPath,
    dir: dirPath,
    get served() {
      return served;
    },
    setPayload(next) {
      const old = payload;
      payload = Buffer.from(next);
      old.fill(0);
    },
    async close() {
      if (closed) return;
      closed = true;
      // A writer blocked in open() is released by a reader: open (non-blocking) and close at once.
      if (pending) {
        try {
          const r = await open(fifoPath, constants.O_RDONLY | constants.O_NONBLOCK);
          await pending.then((h) => h.close()).catch(() => {});
          await r.close();
        } catch {
          /* the FIFO is gone already */
        }
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
      clearTimeout(timer);
      payload.fill(0);
      await rm(dirPath, { recursive: true, force: true }).catch(() => {});
    },
    removeSync() {
      payload.fill(0);
      try {
        rmSync(dirPath, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    },
  };
  return fifo;
}

/**
 * Removes FIFO directories left by runs that were killed (SIGKILL, power loss) before they could clean up: ours
 * (same uid), named `vaultmcp-gateway-<pid>-…`, whose pid no longer runs. They hold no values (a FIFO stores
 * nothing), but a stale pipe is litter and a gateway that opens it would block.
 * @param baseDirs the candidates of {@link fifoBaseDirs}
 * @returns the directories removed
 */
export async function sweepStaleFifoDirs(baseDirs: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const base of new Set(baseDirs)) removed.push(...(await sweepDeadProcessDirs(base, /^vaultmcp-gateway-(\d+)-[A-Za-z0-9]{6}$/)));
  return removed;
}


/** A pause that keeps the process alive: while the FIFO is open, serving it is what we are here for. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
