import { readFile, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { classifyEntry, entryFor, isReferenceValue, plaintextSecretVars, type ClientPlace, type ServerEntry } from '../../core/clients/catalog.js';
import { parseConfigText } from '../../core/clients/config-text.js';
import type { AppContext } from '../../core/context.js';
import { ExitCode, UsageError, VaultMcpError } from '../../core/errors.js';
import { maskSecret } from '../../core/mask.js';
import { expandPath } from '../../core/config/paths.js';
import { backupClientFile, maskedDiff, readClientFile, resolveTarget, writeClientFile } from './config-file.js';
import { pluginBinary, type Launcher } from './connect.js';
import { knownSecretVars } from './known-vars.js';

/**
 * `client import CLIENT [--apply]`: moves the plaintext credentials that users pasted into an MCP client's `env`
 * into the vault. Per entry: each credential becomes a secret named by the pattern (default `{server}-{var}`,
 * lower-kebab), a user service definition gets the entry's command, args and remaining variables, and the entry is
 * rewritten to start that service through us. Without `apply` it is a plan (masked values, nothing changed).
 * With `apply`: all uploads first (a failed upload leaves every file as it was), then the service files, then the
 * client config (backed up 0600 first); then each rewritten entry gets an MCP handshake, started the way a client
 * starts it, and the backup (the last plaintext copy) is deleted when all pass, unless `keepBackup`.
 */

/** What happens to one credential. */
export type SecretAction =
  /** no secret of that name: CreateSecret */
  | 'create'
  /** a secret of that name holds the same value: nothing to upload */
  | 'reuse'
  /** a secret of that name holds another value and rotateExisting: a new CURRENT version */
  | 'new-version'
  /** a secret of that name holds another value: the import stops (unless rotateExisting) */
  | 'conflict'
  /** the vault could not be asked (dry run only; the message is in `notes`) */
  | 'unchecked';

/** One entry of the client's config that holds plaintext credentials. */
export interface ImportItem {
  /** The entry's name in the client's config. */
  server: string;
  /** The service definition written for it (user services dir). */
  service: string;
  serviceFile: string;
  /** True when a user service of that name exists already (replaced only with `force`, unless it is identical). */
  serviceExists: boolean;
  /** True when that existing definition is exactly what would be written (an import of the same server from another client). */
  serviceSame?: boolean;
  command: string[];
  secrets: Array<{ envVar: string; secretName: string; masked: string; action: SecretAction }>;
  /** Plain variables moved to the service's env_overrides (names only). */
  envOverrides: string[];
  /** Variables the client still expands (`${VAR}`, `${input:…}`): kept in the entry and passed through by the service. */
  passthrough: string[];
  /** The rewritten entry. */
  entry: ServerEntry;
}

/** The plan, and with `apply` what was done. Never carries a value. */
export interface ImportResult {
  client: string;
  file: string;
  items: ImportItem[];
  applied: boolean;
  /** The client config's change, credentials masked. */
  diff: string;
  /** The backup of the client config (present while kept). */
  backup?: string;
  /** False when the backup was deleted after every check passed. */
  backupKept?: boolean;
  /** MCP handshake of each rewritten entry (apply only). */
  checks?: Array<{ server: string; ok: boolean; detail: string }>;
  /** Lines for stderr (skipped entries, unchecked vault, what was stored). */
  notes: string[];
}

/** Options of {@link importClient}. */
export interface ImportOptions {
  client: string;
  scope?: string;
  configFile?: string;
  apply?: boolean;
  /** Secret name pattern with `{server}` and `{var}` (lower-kebab-cased); default `{server}-{var}`. */
  namePattern?: string;
  /** Add a new version to a same-named secret holding another value, instead of stopping. */
  rotateExisting?: boolean;
  /** Keep the backup even when every check passed. */
  keepBackup?: boolean;
  /** Replace user service definitions of the same name. */
  force?: boolean;
  /** resolver.yaml (`--config`): used here and written into the entries. */
  settingsFile?: string;
  viaDocker?: boolean;
  selfPaths?: readonly string[];
  /** MCP handshake timeout per entry, ms (default 60 000: an `npx -y` server may be downloaded first). */
  checkTimeoutMs?: number;
  place?: ClientPlace;
}

/** Lower-kebab-case: `GITHUB_PERSONAL_ACCESS_TOKEN` → `github-personal-access-token`, `My GitHub` → `my-github`. */
export function kebab(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * Plans, and with `apply` performs, the import. See the file comment.
 * @throws UsageError (2) unknown client, no config file, a bad pattern, conflicts without rotateExisting, existing
 *   service files without force; ConfigError (2) an unparsable config; VaultError (3) vault failures during apply
 *   (files unchanged); VaultMcpError exit 1 when a rewritten entry fails its check (the backup is kept)
 */
export async function importClient(ctx: AppContext, options: ImportOptions): Promise<ImportResult> {
  const target = resolveTarget(ctx, options.client, options);
  const before = await readClientFile(target.file);
  if (before === undefined) throw new UsageError(`${target.file} does not exist`, `nothing to import; --config-file names another file, --scope project the project's`);
  const config = await parseConfigText(before, target.client.format, target.client.serversKey, target.file);
  const pattern = options.namePattern ?? '{server}-{var}';
  if (!pattern.includes('{var}')) throw new UsageError('--name-pattern must contain {var}', 'e.g. {server}-{var} or mcp-{server}-{var}');
  const notes: string[] = [];
  const { serviceDirs } = await import('../../core/config/services/index.js');
  const { validateSecretName } = await import('../secrets/secret-input.js');
  const serviceDir = serviceDirs(ctx)[0]!.dir;
  const launcher: Launcher | undefined = options.viaDocker ? { kind: 'docker' } : undefined;

  // 1. what to move, per entry
  const values = new Map<string, string>(); // secret name → value (never leaves this function)
  const serviceTexts = new Map<string, string>(); // service file → its JSON
  const items: ImportItem[] = [];
  for (const [server, raw] of Object.entries(config.servers)) {
    if (!raw || typeof raw !== 'object') continue;
    const entry = raw as ServerEntry;
    const plaintext = plaintextSecretVars(entry, knownSecretVars());
    if (plaintext.length === 0) continue;
    if (classifyEntry(entry).ours) {
      notes.push(`${server}: starts through docker vaultmcp already but still has plaintext ${plaintext.join(', ')} in env; remove them from the entry by hand`);
      continue;
    }
    if (typeof entry.command !== 'string' || entry.command === '') {
      notes.push(`${server}: not a stdio server (no command); skipped`);
      continue;
    }
    const service = kebab(server) || 'server';
    const env = entry.env ?? {};
    const secrets: ImportItem['secrets'] = [];
    for (const envVar of plaintext) {
      const secretName = pattern.replaceAll('{server}', service).replaceAll('{var}', kebab(envVar));
      try {
        validateSecretName(secretName);
      } catch (err) {
        throw new UsageError(`--name-pattern gives an invalid secret name for ${server}.${envVar}: ${(err as Error).message}`, 'secret names use letters, digits, ".", "_" and "-"');
      }
      const value = String(env[envVar]);
      const seen = values.get(secretName);
      if (seen !== undefined && seen !== value) throw new UsageError(`two different values would be stored as secret '${secretName}'`, 'use a --name-pattern with {server} and {var}');
      values.set(secretName, value);
      secrets.push({ envVar, secretName, masked: maskSecret(value), action: 'unchecked' });
    }
    const overrides: Record<string, string> = {};
    const passthrough: string[] = [];
    for (const [k, v] of Object.entries(env)) {
      if (plaintext.includes(k) || typeof v !== 'string') continue;
      if (isReferenceValue(v) && v.trim() !== '') passthrough.push(k); // the client expands it; we pass it on
      else overrides[k] = v;
    }
    const serviceFile = path.join(serviceDir, `${service}.json`);
    const runArgs = [service, ...(options.settingsFile ? ['--config', expandPath(options.settingsFile, ctx)] : [])];
    const bin = launcher ?? { kind: 'binary' as const, path: await pluginBinary(ctx, options.selfPaths ?? []) };
    const { env: _env, command: _c, args: _a, type: _t, ...others } = entry;
    const newEntry: ServerEntry = { ...others, ...entryFor(target.client, bin, runArgs) };
    if (passthrough.length > 0) newEntry.env = Object.fromEntries(passthrough.map((k) => [k, env[k]!]));
    items.push({
      server,
      service,
      serviceFile,
      serviceExists: await fileExists(serviceDir, service),
      command: [entry.command, ...(Array.isArray(entry.args) ? entry.args.map(String) : [])],
      secrets,
      envOverrides: Object.keys(overrides),
      passthrough,
      entry: newEntry,
    });
    serviceTexts.set(serviceFile, serviceDefinitionText(server, entry, secrets, overrides, passthrough));
    const item = items[items.length - 1]!;
    if (item.serviceExists) item.serviceSame = (await readFile(serviceFile, 'utf8').catch(() => undefined)) === serviceTexts.get(serviceFile);
  }
  const serviceText = (item: ImportItem) => serviceTexts.get(item.serviceFile)!;

  // 2. the new config text and its diff (credentials masked)
  let after = before;
  for (const item of items) after = (await parseConfigText(after, target.client.format, target.client.serversKey, target.file)).edit(item.server, item.entry);
  const diff = await maskedDiff(target.file, before, after, knownSecretVars());
  const result: ImportResult = { client: target.client.id, file: target.file, items, applied: false, diff, notes };
  if (items.length === 0) {
    notes.push(`no entry in ${target.file} holds plaintext credentials; nothing to import`);
    return result;
  }

  // 3. what the vault holds under those names
  const { loadSettings } = await import('../../core/config/settings/index.js');
  let admin: Awaited<ReturnType<typeof import('../secrets/index.js').createSecretAdmin>> | undefined;
  const existing = new Map<string, Awaited<ReturnType<NonNullable<typeof admin>['findByName']>>>();
  try {
    const settings = (await loadSettings(ctx, { configFile: options.settingsFile })).settings;
    admin = await (await import('../secrets/index.js')).createSecretAdmin(settings, ctx);
    for (const [name, value] of values) {
      const found = await admin.findByName(name);
      existing.set(name, found);
      const action: SecretAction = !found
        ? 'create'
        : (await admin.readValue(found.id, {}, `secret '${name}'`)).bytes.equals(Buffer.from(value, 'utf8'))
          ? 'reuse'
          : options.rotateExisting
            ? 'new-version'
            : 'conflict';
      for (const item of items) for (const s of item.secrets) if (s.secretName === name) s.action = action;
    }
  } catch (err) {
    if (options.apply) throw err;
    notes.push(`the vault was not checked (${(err as Error).message}); run with a working vault before --apply`);
  }
  if (!options.apply) return result;

  // 4. apply: refuse conflicts and existing services before anything is written
  const conflicts = items.flatMap((i) => i.secrets.filter((s) => s.action === 'conflict').map((s) => s.secretName));
  if (conflicts.length > 0) {
    throw new UsageError(`secret${conflicts.length > 1 ? 's' : ''} ${[...new Set(conflicts)].join(', ')} already hold${conflicts.length > 1 ? '' : 's'} another value; nothing was changed`, 'add a new version with --rotate-existing, or choose other names with --name-pattern');
  }
  const taken = items.filter((i) => i.serviceExists && !i.serviceSame).map((i) => i.serviceFile);
  if (taken.length > 0 && !options.force) throw new UsageError(`service definition${taken.length > 1 ? 's' : ''} ${taken.join(', ')} already exist${taken.length > 1 ? '' : 's'}; nothing was changed`, 'replace them with --force');

  // 5. uploads (values from memory to the SDK; never argv): a failure here leaves every file as it was
  const stored: string[] = [];
  try {
    for (const [name, value] of values) {
      const action = items.flatMap((i) => i.secrets).find((s) => s.secretName === name)!.action;
      if (action === 'reuse') continue;
      await admin!.upload(name, Buffer.from(value, 'utf8'), { existing: existing.get(name) ?? null, description: 'imported by docker vaultmcp client import' });
      stored.push(name);
    }
  } catch (err) {
    if (err instanceof VaultMcpError && stored.length > 0) {
      throw new VaultMcpError(`${err.message} (already stored: ${stored.join(', ')}; no file was changed)`, { exitCode: err.exitCode, hint: err.hint, cause: err });
    }
    throw err;
  }
  if (stored.length > 0) notes.push(`stored in the vault: ${stored.join(', ')}`);

  // 6. service files, then the client config (backed up first); undo the service files if the config write fails
  const written: string[] = [];
  try {
    for (const item of items) {
      if (item.serviceSame) continue;
      await writeFileAtomic(item.serviceFile, serviceText(item), { mode: 0o644 });
      written.push(item.serviceFile);
    }
    result.backup = await backupClientFile(ctx, target.client.id, target.file);
    await writeClientFile(target.file, after);
  } catch (err) {
    for (const f of written) if (!items.find((i) => i.serviceFile === f)?.serviceExists) await unlink(f).catch(() => {});
    if (result.backup) await rm(result.backup, { force: true });
    throw err;
  }
  result.applied = true;

  // 7. each rewritten entry, started as an MCP client starts it
  result.checks = [];
  for (const item of items) result.checks.push({ server: item.server, ...(await checkEntry(ctx, item.entry, options.checkTimeoutMs ?? 60_000)) });
  const allOk = result.checks.every((c) => c.ok);
  if (allOk && !options.keepBackup) {
    await rm(result.backup!, { force: true });
    result.backupKept = false;
    notes.push(`every entry passed its MCP handshake; the backup (the last plaintext copy) was deleted`);
  } else {
    result.backupKept = true;
    notes.push(`the backup ${result.backup} (mode 0600) still holds the plaintext values; delete it when you no longer need it`);
  }
  if (!allOk) {
    const failed = result.checks.filter((c) => !c.ok);
    throw Object.assign(
      new VaultMcpError(`imported, but ${failed.map((c) => `${c.server}: ${c.detail}`).join('; ')}`, {
        exitCode: ExitCode.FAILURE,
        hint: `check with \`docker vaultmcp run ${items[0]!.service} --test\`; the previous config is in ${result.backup} (copy it back to undo)`,
      }),
      { result },
    );
  }
  return result;
}

function serviceDefinitionText(
  server: string,
  entry: ServerEntry,
  secrets: ImportItem['secrets'],
  overrides: Record<string, string>,
  passthrough: string[],
): string {
  const def = {
    description: `${server} (imported from an MCP client config)`,
    secrets: Object.fromEntries(secrets.map((s) => [s.envVar, s.secretName])),
    target_command: [entry.command as string, ...(Array.isArray(entry.args) ? entry.args.map(String) : [])],
    ...(Object.keys(overrides).length > 0 ? { env_overrides: overrides } : {}),
    ...(passthrough.length > 0 ? { passthrough_env: passthrough } : {}),
    ...(typeof entry.cwd === 'string' && entry.cwd ? { cwd: entry.cwd } : {}),
  };
  return JSON.stringify(def, null, 2) + '\n';
}

async function fileExists(dir: string, name: string): Promise<boolean> {
  const { lstat } = await import('node:fs/promises');
  for (const ext of ['.json', '.yaml', '.yml']) {
    try {
      await lstat(path.join(dir, name + ext));
      return true;
    } catch {
      // next
    }
  }
  return false;
}

/**
 * Starts a rewritten entry the way an MCP client does (the MCP SDK's inherited variables HOME, LOGNAME, PATH, SHELL,
 * TERM, USER from our environment, plus the entry's env) and runs the MCP handshake.
 */
async function checkEntry(ctx: AppContext, entry: ServerEntry, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const { probeMcpServer } = await import('../../core/mcp/probe.js');
  const env: Record<string, string> = {};
  for (const k of ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER']) if (ctx.env[k] !== undefined) env[k] = ctx.env[k]!;
  Object.assign(env, entry.env ?? {});
  try {
    const r = await probeMcpServer({ file: entry.command!, args: entry.args ?? [], env, cwd: ctx.cwd }, { timeoutMs });
    return { ok: true, detail: `MCP handshake passed (${r.serverName ?? 'server'}, ${r.toolCount} tools, ${Math.round(r.ms)} ms)` };
  } catch (err) {
    return { ok: false, detail: (err as { reason?: string }).reason ?? (err as Error).message };
  }
}
