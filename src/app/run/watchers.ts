import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../../core/context.js';
import { UsageError } from '../../core/errors.js';
import { loadSettings } from '../../core/config/settings/index.js';

/**
 * The record of running `run --watch` processes, so `run --reload PID` signals only a process that listens for
 * SIGUSR1 (for any other process SIGUSR1's default action is to terminate it). One 0600 file per watcher,
 * `<cache.dir>/watchers/<pid>.json` = `{ "service": NAME, "started": RFC 3339 }`; removed when the run ends
 * (a SIGKILLed run's leftover is ignored once its pid is gone).
 */

/** The directory of watcher records under a cache directory. */
export function watchersDir(cacheDir: string): string {
  return path.join(cacheDir, 'watchers');
}

/**
 * Records this process as a watcher of `service`.
 * @returns a function removing the record (never throws)
 */
export function registerWatcher(cacheDir: string, pid: number, service: string, now: Date): () => void {
  const dir = watchersDir(cacheDir);
  const file = path.join(dir, `${pid}.json`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify({ service, started: now.toISOString() }), { mode: 0o600 });
  } catch {
    return () => {}; // without a record, --reload refuses this pid: the watch itself still works
  }
  return () => rmSync(file, { force: true });
}

/**
 * `run --reload PID`: sends SIGUSR1 to the watching run `pid` (found in the cache dir of the settings, read as
 * `run` reads them: `configFile` is `--config`).
 * @returns the service it watches
 * @throws UsageError (exit 2) when no such watcher is recorded or its process is gone
 */
export async function reloadWatcher(ctx: AppContext, pid: number, configFile?: string): Promise<string> {
  const { settings } = await loadSettings(ctx, configFile ? { configFile } : {});
  const file = path.join(watchersDir(settings.cache.dir), `${pid}.json`);
  let service: string;
  try {
    service = String((JSON.parse(readFileSync(file, 'utf8')) as { service?: unknown }).service ?? '?');
  } catch {
    throw new UsageError(`process ${pid} is not a running \`docker vaultmcp run --watch\``, `the watching runs are recorded in ${watchersDir(settings.cache.dir)}`);
  }
  try {
    process.kill(pid, 'SIGUSR1');
  } catch {
    rmSync(file, { force: true });
    throw new UsageError(`process ${pid} is no longer running`, 'start the server again with `docker vaultmcp run SERVICE --watch`');
  }
  return service;
}
