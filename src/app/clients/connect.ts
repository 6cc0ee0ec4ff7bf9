import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { dockerPluginDirs } from '../doctor/docker.js';
import { classifyEntry, entryFor, type ClientPlace, type ServerEntry } from '../../core/clients/catalog.js';
import { parseConfigText } from '../../core/clients/config-text.js';
import type { AppContext } from '../../core/context.js';
import { UsageError } from '../../core/errors.js';
import { expandPath } from '../../core/config/paths.js';
import { backupClientFile, maskedDiff, readClientFile, resolveTarget, writeClientFile, type ClientTarget } from './config-file.js';
import { knownSecretVars } from './known-vars.js';

/**
 * `client connect` and `client disconnect`: add, update or remove the entry of an MCP client's config that starts a
 * service through us. Every change: the file is parsed first (a file that does not parse is an error naming file
 * and line:column, and is never written), other entries and the file's formatting are kept (config-text.ts), a
 * backup is copied before the write, the change is returned as a diff with credentials masked, and a dry run
 * writes nothing. Running it twice changes nothing the second time.
 */

/** How the entry starts us. */
export type Launcher = { kind: 'binary'; path: string } | { kind: 'docker' };

/** What a connect/disconnect did (or, with dryRun, would do). */
export interface ClientChange {
  client: string;
  scope: string;
  file: string;
  name: string;
  /** The entry written (connect), or the one removed (disconnect). */
  entry?: ServerEntry;
  /** False when the file already said so: nothing was written and no backup was made. */
  changed: boolean;
  /** True when the file did not exist before. */
  created: boolean;
  /** Unified diff, credentials masked; '' when unchanged. */
  diff: string;
  /** Where the previous file was copied (absent for a new file, a dry run, or no change). */
  backup?: string;
  dryRun: boolean;
  /** Lines for stderr (e.g. the plaintext env of a replaced entry was dropped). */
  notes: string[];
}

/** Options of {@link connectClient}. */
export interface ConnectOptions {
  client: string;
  /** Service name or path to a service file. */
  service: string;
  env?: string;
  /** Entry name in the client's config; default the service's name. */
  name?: string;
  scope?: string;
  configFile?: string;
  /** `--config FILE` for the server's `run` (written into the entry, made absolute). */
  settingsFile?: string;
  dryRun?: boolean;
  /** Write `docker vaultmcp run …` instead of the binary's absolute path. */
  viaDocker?: boolean;
  /** Replace an entry of that name that does not start through us. */
  force?: boolean;
  /** Paths of the running executable, candidates for the binary when the plugin is not installed (process.execPath). */
  selfPaths?: readonly string[];
  /** Overrides the OS/home/project the client paths are computed for (tests). */
  place?: ClientPlace;
  /** Arguments for the server, written after `run SERVICE … --` (a `~/` prefix is expanded: clients do not expand it). */
  serverArgs?: readonly string[];
}

const ENTRY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Adds or updates the entry that starts `service` through us.
 * @returns the change (see ClientChange)
 * @throws UsageError (2) unknown client/scope/service, a bad name, an entry of that name that is not ours without
 *   `force`, no binary to point at; ConfigError (2) when the file does not parse (file and line:column)
 */
export async function connectClient(ctx: AppContext, options: ConnectOptions): Promise<ClientChange> {
  const target = resolveTarget(ctx, options.client, options);
  const { loadService, looksLikePath } = await import('../../core/config/services/index.js');
  const service = await loadService(options.service, ctx); // an unknown service is an error now, not at the client's next start
  const name = options.name ?? service.name;
  if (!ENTRY_NAME.test(name)) throw new UsageError(`invalid entry name '${name}'`, 'use letters, digits, ".", "_" and "-" (--name)');
  const launcher: Launcher = options.viaDocker ? { kind: 'docker' } : { kind: 'binary', path: await pluginBinary(ctx, options.selfPaths ?? []) };
  const runArgs = [
    looksLikePath(options.service) ? expandPath(options.service, ctx) : options.service,
    ...(options.env ? ['--env', options.env] : []),
    ...(options.settingsFile ? ['--config', expandPath(options.settingsFile, ctx)] : []),
    ...(options.serverArgs?.length ? ['--', ...options.serverArgs.map((a) => (a === '~' || a.startsWith('~/') ? expandPath(a, { ...ctx, cwd: '/' }) : a))] : []),
  ];
  return writeEntry(ctx, target, name, entryFor(target.client, launcher, runArgs), { dryRun: options.dryRun, force: options.force });
}

/**
 * Sets entry `name` of the target file to `wanted`, keeping the existing entry's other keys (a `disabled` flag, a
 * timeout…).
 * @param options.force replace an entry that does not start through us (its env is dropped, with a note)
 */
async function writeEntry(
  ctx: AppContext,
  target: ClientTarget,
  name: string,
  wanted: ServerEntry,
  options: { dryRun?: boolean; force?: boolean } = {},
): Promise<ClientChange> {
  const before = await readClientFile(target.file);
  const config = await parseConfigText(before, target.client.format, target.client.serversKey, target.file);
  const existing = config.servers[name];
  const notes: string[] = [];
  let entry: ServerEntry = wanted;
  if (existing && typeof existing === 'object') {
    const kind = classifyEntry(existing);
    if (!kind.ours && !options.force) {
      throw new UsageError(
        `${target.file} already has an entry '${name}' that does not start through docker vaultmcp`,
        `pick another name with --name, replace it with --force, or move its secrets with \`docker vaultmcp client import ${target.client.id}\``,
      );
    }
    const { type: _t, command: _c, args: _a, env, ...others } = existing;
    entry = { ...others, ...wanted };
    if (env && typeof env === 'object' && Object.keys(env).length > 0) {
      if (kind.ours) entry.env = env as Record<string, string>;
      else notes.push(`the replaced entry's env (${Object.keys(env).join(', ')}) was dropped; the server gets its variables from the service definition`);
    }
  }
  const unchanged = existing !== undefined && canonical(existing) === canonical(entry);
  const after = unchanged ? (before ?? '') : config.edit(name, entry);
  return finish(ctx, target, name, entry, before, after, options.dryRun ?? false, notes);
}

/** Options of {@link disconnectClient}. */
export interface DisconnectOptions {
  client: string;
  name: string;
  scope?: string;
  configFile?: string;
  dryRun?: boolean;
  /** Remove an entry that does not start through us. */
  force?: boolean;
  place?: ClientPlace;
}

/**
 * Removes entry `name`. No such entry (or no file) is not an error: nothing changes.
 * @throws UsageError (2) unknown client/scope, an entry that is not ours without `force`; ConfigError (2) unparsable file
 */
export async function disconnectClient(ctx: AppContext, options: DisconnectOptions): Promise<ClientChange> {
  const target = resolveTarget(ctx, options.client, options);
  const before = await readClientFile(target.file);
  if (before === undefined) return finish(ctx, target, options.name, undefined, before, '', options.dryRun ?? false, [`${target.file} does not exist; nothing to remove`]);
  const config = await parseConfigText(before, target.client.format, target.client.serversKey, target.file);
  const existing = config.servers[options.name];
  if (existing === undefined) {
    return finish(ctx, target, options.name, undefined, before, before, options.dryRun ?? false, [`no entry '${options.name}' in ${target.file}; nothing to remove`]);
  }
  if (!classifyEntry(existing).ours && !options.force) {
    throw new UsageError(`entry '${options.name}' in ${target.file} does not start through docker vaultmcp`, 'remove it with --force, or in the client itself');
  }
  return finish(ctx, target, options.name, existing, before, config.edit(options.name, undefined), options.dryRun ?? false, []);
}

async function finish(
  ctx: AppContext,
  target: ClientTarget,
  name: string,
  entry: ServerEntry | undefined,
  before: string | undefined,
  after: string,
  dryRun: boolean,
  notes: string[],
): Promise<ClientChange> {
  const changed = (before ?? '') !== after && !(before === undefined && after === '');
  const diff = changed ? await maskedDiff(target.file, before, after, knownSecretVars()) : '';
  let backup: string | undefined;
  if (changed && !dryRun) {
    if (before !== undefined) backup = await backupClientFile(ctx, target.client.id, target.file);
    await writeClientFile(target.file, after);
  }
  return {
    client: target.client.id,
    scope: target.scope,
    file: target.file,
    name,
    ...(entry ? { entry } : {}),
    changed,
    created: before === undefined && changed,
    diff,
    ...(backup ? { backup } : {}),
    dryRun,
    notes,
  };
}

/**
 * The absolute path an entry should start: the installed Docker CLI plugin (`${DOCKER_CONFIG:-~/.docker}/cli-plugins`
 * first, then the system plugin directories), else the running single binary when it is one (`docker-vaultmcp`).
 * @throws UsageError (2) when neither exists (the hint names `setup`/`install-plugin` and `--via-docker`)
 */
export async function pluginBinary(ctx: Pick<AppContext, 'env' | 'homeDir'>, selfPaths: readonly string[]): Promise<string> {
  const exe = process.platform === 'win32' ? 'docker-vaultmcp.exe' : 'docker-vaultmcp';
  const candidates = [...dockerPluginDirs(ctx).map((d) => path.join(d, exe)), ...selfPaths.filter((p) => path.basename(p) === exe)];
  for (const file of candidates) {
    try {
      await access(file, constants.X_OK);
      return path.resolve(file);
    } catch {
      // next
    }
  }
  throw new UsageError(
    'the docker-vaultmcp binary is not installed as a Docker CLI plugin, so there is no absolute path to write',
    'install it (`docker vaultmcp setup`, or `npm run install-plugin`), or write `docker vaultmcp run …` with --via-docker',
  );
}

/** JSON with sorted keys, for "is this entry already what we want". */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
