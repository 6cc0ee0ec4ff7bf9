/**
 * Helpers for e2e tests of the built single binary (`dist/docker-vaultmcp`, made by `npm run build:binary`,
 * which `npm test` runs first).
 *
 * Every process started here runs **without the repository**: on Linux as root (CI, dev containers) it runs
 * in a private mount namespace (`unshare -m`) where /work/main (the repo root, whatever it is) is replaced by an
 * empty directory except `dist/`. So the binary cannot silently read `node_modules`, `src/` or `package.json`
 * from the build machine (Bun inlines the build machine's `__dirname`; packaging.md gotcha 6). Elsewhere it
 * falls back to a plain spawn; `repoHidden()` tells which, and the default cwd is a fresh temp dir either way.
 *
 * ```ts
 * import { runBinary, makeDockerConfig, runDocker } from './binary.js';
 * const r = await runBinary(['--version']);                       // dist/docker-vaultmcp --version
 * const dc = makeDockerConfig();                                  // temp DOCKER_CONFIG with the plugin installed
 * try { const d = await runDocker(['vaultmcp', '--help'], { env: dc.env }); } finally { dc.cleanup(); }
 * ```
 * Results are `{ code, signal, stdout, stderr, ms }`; a timeout kills the process group and rejects.
 * The environment is minimal and deterministic (PATH, HOME=temp, TMPDIR, LANG=C, NO_COLOR=1, CI) plus `env`.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Repository root (the directory with package.json). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Absolute path of the built binary. Throws with a hint when it has not been built. */
export function binaryPath(): string {
  const p = path.join(REPO_ROOT, 'dist', process.platform === 'win32' ? 'docker-vaultmcp.exe' : 'docker-vaultmcp');
  if (!existsSync(p)) throw new Error(`${p} is missing: run \`npm run build:binary\` first`);
  return p;
}

export interface RunOptions {
  /** Extra environment, merged over the minimal base (a value of `undefined` removes a base variable). */
  env?: Record<string, string | undefined>;
  /**
   * Written to stdin, then stdin is closed. Without it stdin is closed at once (like an MCP client exiting).
   * Ignored with `onSpawn`: then stdin is yours to write and end.
   */
  input?: string | Buffer;
  /** Working directory; default: a fresh empty temp dir (removed afterwards). */
  cwd?: string;
  /** Kill the process group after this many ms and reject; default 30 000. */
  timeoutMs?: number;
  /** Set false to run with the repository visible (only for tests that need it). Default true. */
  hideRepo?: boolean;
  /**
   * Called with the child right after spawn, e.g. to send it a signal once it printed something. With the
   * repository hidden, the pid is the program's own once it has started (unshare and sh exec into it).
   */
  onSpawn?: (child: ChildProcessWithoutNullStreams) => void;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time of the whole spawn, ms. */
  ms: number;
}

let scratch: string | undefined;
/** One temp dir per test process for HOME, the empty repo stand-in and default cwds; removed at exit. */
function scratchDir(): string {
  if (!scratch) {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-e2e-'));
    const dir = scratch;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return scratch;
}

let hidden: boolean | undefined;
/** True when processes started here cannot see the repository (root + `unshare -m` work here). */
export function repoHidden(): boolean {
  if (hidden === undefined) {
    hidden =
      process.platform === 'linux' &&
      process.getuid?.() === 0 &&
      spawnSync('unshare', ['-m', '--', 'true'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  }
  return hidden;
}

/** The empty directory that replaces the repository root inside the namespace; it holds only `dist/`. */
function emptyRoot(): string {
  const dir = path.join(scratchDir(), 'empty-repo');
  if (!existsSync(dir)) mkdirSync(path.join(dir, 'dist'), { recursive: true, mode: 0o755 });
  return dir;
}

// Runs "$@" with the repo root replaced by an empty dir that only has the real dist/ bind-mounted in it.
const HIDE_SCRIPT =
  'set -e; repo="$1"; empty="$2"; dir="$3"; shift 3; ' +
  'mount --bind "$repo/dist" "$empty/dist"; mount --rbind "$empty" "$repo"; cd "$dir"; exec "$@"';

/** Minimal deterministic environment for the binary and docker. */
export function baseEnv(): Record<string, string> {
  const home = path.join(scratchDir(), 'home');
  mkdirSync(home, { recursive: true });
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    TMPDIR: os.tmpdir(),
    LANG: 'C',
    NO_COLOR: '1',
    ...(process.env.CI ? { CI: process.env.CI } : {}),
    // Keep the session bus (keychain tests) reachable when the runner has one.
    ...(process.env.DBUS_SESSION_BUS_ADDRESS ? { DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS } : {}),
  };
}

/**
 * Spawns `command args` with the repository hidden (see the file comment) and collects its output.
 * The building block of runBinary and runDocker; usable for any other program (e.g. `sh -c`).
 */
export function runHidden(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const env: Record<string, string> = { ...baseEnv() };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  let ownCwd: string | undefined;
  const cwd = opts.cwd ?? (ownCwd = mkdtempSync(path.join(scratchDir(), 'cwd-')));
  const hide = (opts.hideRepo ?? true) && repoHidden();
  const [file, argv] = hide
    ? ['unshare', ['-m', '--', 'sh', '-c', HIDE_SCRIPT, 'sh', REPO_ROOT, emptyRoot(), cwd, command, ...args]]
    : [command, [...args]];
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd: hide ? '/' : cwd, env, stdio: 'pipe', detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // the program may exit before reading its input
    if (opts.onSpawn) opts.onSpawn(child);
    else child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
      reject(
        new Error(
          `timed out after ${timeoutMs} ms: ${command} ${args.join(' ')}\n` +
            `stdout: ${Buffer.concat(out).toString()}\nstderr: ${Buffer.concat(err).toString()}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (ownCwd) rmSync(ownCwd, { recursive: true, force: true });
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        ms: performance.now() - started,
      });
    });
  });
}

/** Runs the built binary directly: `dist/docker-vaultmcp …args`. */
export function runBinary(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return runHidden(binaryPath(), args, opts);
}

export interface DockerConfig {
  /** The DOCKER_CONFIG directory; the plugin is `dir/cli-plugins/docker-vaultmcp` (a symlink to the binary). */
  dir: string;
  /** `{ DOCKER_CONFIG: dir }`: pass as `env` to runDocker (or to your own spawn of `docker`). */
  env: Record<string, string>;
  /** Removes the directory. */
  cleanup(): void;
}

/**
 * Creates a temp DOCKER_CONFIG with `cli-plugins/docker-vaultmcp` linked to the built binary and a
 * `config.json` with no credentials store, so the real docker CLI finds the plugin and nothing else of the
 * user's. Call `cleanup()` when done (e.g. in `after()`).
 * @param opts.copy copy the binary instead of symlinking it (slower: ~110 MB)
 */
export function makeDockerConfig(opts: { copy?: boolean } = {}): DockerConfig {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-docker-config-'));
  mkdirSync(path.join(dir, 'cli-plugins'), { recursive: true });
  const target = path.join(dir, 'cli-plugins', 'docker-vaultmcp');
  if (opts.copy) {
    const r = spawnSync('cp', [binaryPath(), target]);
    if (r.status !== 0) throw new Error(`cannot copy the binary: ${r.stderr}`);
  } else {
    symlinkSync(binaryPath(), target);
  }
  writeFileSync(path.join(dir, 'config.json'), '{}\n');
  return { dir, env: { DOCKER_CONFIG: dir }, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs the real `docker` CLI (no daemon needed for plugins) with the repository hidden.
 * Pass `env: dockerConfig.env` so docker finds our plugin; without it docker uses `$HOME/.docker` of the temp
 * HOME, which has no plugin.
 */
export function runDocker(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return runHidden('docker', args, opts);
}

/** True when a `docker` CLI is on PATH (tests that need it skip with a reason otherwise, but not in CI). */
export function dockerAvailable(): boolean {
  return spawnSync('docker', ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}
