import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../../core/context.js';
import { UsageError, VaultMcpError, ExitCode } from '../../core/errors.js';

/** The Vendor our `docker-cli-plugin-metadata` answer carries (src/docker-plugin.ts `pluginMetadata`). */
export const OUR_VENDOR = 'docker vaultmcp';

/** How this process runs, i.e. what can be installed as the plugin. */
export type PluginSource =
  /** The Bun-compiled single executable at `execPath`: copied as it is. */
  | { kind: 'binary'; execPath: string }
  /** The npm package on Node: a two-line `sh` launcher running `node binScript` is written (not on Windows). */
  | { kind: 'node'; nodePath: string; binScript: string }
  /** Anything else (tsx in a checkout): nothing installable. */
  | { kind: 'other' };

export interface InstallPluginOptions {
  source: PluginSource;
  /** Our package version (the installed plugin must report it). */
  version: string;
  /** Replace a `docker-vaultmcp` that is not ours (another Vendor, or not answering the metadata probe). */
  force: boolean;
  /** `process.platform`; decides the file name (`.exe`) and the Windows home variable. */
  platform: NodeJS.Platform;
}

export interface InstallPluginResult {
  /** `installed`: there was none; `replaced`: an older/other file was replaced; `unchanged`: it already is this file. */
  action: 'installed' | 'replaced' | 'unchanged';
  /** Absolute path of the plugin file. */
  target: string;
  /** What was there before (`replaced` only): its metadata Vendor/Version, or undefined when it gave none. */
  previous?: { vendor?: string; version?: string };
}

/**
 * Docker's per-user CLI plugin directory: `$DOCKER_CONFIG/cli-plugins`, else `~/.docker/cli-plugins`
 * (`%USERPROFILE%\.docker\cli-plugins` on Windows). Source: docker/cli `cli-plugins/manager` `getPluginDirs`
 * and `cli/config` `Dir()` (reference/docker-plugin-and-gateway.md §1.2).
 */
export function userPluginDir(ctx: Pick<AppContext, 'env' | 'homeDir'>, platform: NodeJS.Platform): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const home = platform === 'win32' ? ctx.env.USERPROFILE || ctx.homeDir : ctx.homeDir;
  return p.join(ctx.env.DOCKER_CONFIG || p.join(home, '.docker'), 'cli-plugins');
}

/**
 * Runs `file docker-cli-plugin-metadata` (10 s limit) and returns its parsed JSON.
 * @returns undefined when the file does not run or prints no JSON object
 */
export function probeMetadata(file: string, env: NodeJS.ProcessEnv): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve) => {
    execFile(file, ['docker-cli-plugin-metadata'], { env, timeout: 10_000, maxBuffer: 1 << 16 }, (err, stdout) => {
      if (err) return resolve(undefined);
      try {
        const v: unknown = JSON.parse(String(stdout));
        resolve(v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** POSIX single-quoting for the launcher script. */
const shQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Installs this program as the Docker CLI plugin `docker-vaultmcp[.exe]` in the user's plugin directory
 * (`userPluginDir`), so `docker vaultmcp …` runs it. The single executable copies itself; the npm package on
 * Linux/macOS writes a small `sh` launcher that runs it with the current Node. The file is written next to the
 * target and renamed over it (a running docker sees the old or the new plugin, never half a file), mode 0755;
 * directories it creates get 0755, existing ones are not re-moded. Afterwards the new plugin must answer the
 * metadata probe with our Vendor and `version`.
 * @throws UsageError (exit 2) when nothing is installable (tsx checkout, npm package on Windows), or when the
 *   target is not ours (other Vendor / no metadata) and `force` is false
 * @throws VaultMcpError (exit 1) when the file cannot be written or the installed plugin does not answer
 */
export async function installDockerPlugin(ctx: Pick<AppContext, 'env' | 'homeDir'>, opts: InstallPluginOptions): Promise<InstallPluginResult> {
  const dir = userPluginDir(ctx, opts.platform);
  const p = opts.platform === 'win32' ? path.win32 : path.posix;
  const target = p.join(dir, opts.platform === 'win32' ? 'docker-vaultmcp.exe' : 'docker-vaultmcp');
  const src = opts.source;
  if (src.kind === 'other') {
    throw new UsageError(
      'install-plugin installs the single executable or the npm package, and this is neither (a development run)',
      'npm run install-plugin (builds the executable and installs it)',
    );
  }
  if (src.kind === 'node' && opts.platform === 'win32') {
    throw new UsageError(
      'on Windows, docker runs only .exe plugins, and the npm package has none',
      'download docker-vaultmcp-<version>-windows-x64.zip from the release, then run docker-vaultmcp.exe install-plugin',
    );
  }

  const existing = await lstat(target).catch(() => undefined);
  let previous: InstallPluginResult['previous'];
  if (existing) {
    if (src.kind === 'binary') {
      const [a, b] = await Promise.all([stat(target).catch(() => undefined), stat(src.execPath).catch(() => undefined)]);
      if (a && b && a.dev === b.dev && a.ino === b.ino) return { action: 'unchanged', target };
    }
    const meta = await probeMetadata(target, ctx.env);
    previous = meta ? { vendor: String(meta.Vendor ?? ''), version: meta.Version === undefined ? undefined : String(meta.Version) } : {};
    if (meta?.Vendor !== OUR_VENDOR && !opts.force) {
      const who = meta ? `its plugin metadata names Vendor ${JSON.stringify(meta.Vendor ?? null)}` : 'it does not answer the docker plugin metadata probe';
      throw new UsageError(
        `refusing to replace ${target}: ${who}, so it is not docker vaultmcp`,
        'move it away, or rerun with --force to replace it',
      );
    }
  }

  const tmp = p.join(dir, `.docker-vaultmcp.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    if (src.kind === 'binary') {
      await copyFile(src.execPath, tmp, fsConstants.COPYFILE_EXCL); // never through a file or link at that name
    } else {
      const script =
        '#!/bin/sh\n# docker vaultmcp: Docker CLI plugin launcher for the npm package (docker-vaultmcp install-plugin)\n' +
        `exec ${shQuote(src.nodePath)} ${shQuote(await realpath(src.binScript))} "$@"\n`;
      await writeFile(tmp, script, { flag: 'wx', mode: 0o755 });
    }
    await chmod(tmp, 0o755);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {}); // e.g. ENOTDIR when the directory could not be made
    const e = err as NodeJS.ErrnoException;
    throw new VaultMcpError(`cannot install the plugin into ${dir}: ${e.code ?? e.message}`, {
      exitCode: ExitCode.FAILURE,
      hint: `check that ${dir} is writable by you, or set DOCKER_CONFIG to another Docker config directory`,
    });
  }

  const meta = await probeMetadata(target, ctx.env);
  if (meta?.Vendor !== OUR_VENDOR || meta.Version !== opts.version) {
    throw new VaultMcpError(`the installed plugin ${target} does not answer the docker plugin metadata probe`, {
      exitCode: ExitCode.FAILURE,
      hint: 'run it directly (`' + target + ' docker-cli-plugin-metadata`) to see why; a noexec mount cannot hold plugins',
    });
  }
  return { action: existing ? 'replaced' : 'installed', target, ...(previous ? { previous } : {}) };
}
