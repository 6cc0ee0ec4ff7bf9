import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { AppContext } from '../../core/context.js';
import { expandPath } from '../../core/config/paths.js';
import { ConfigError, UsageError } from '../../core/errors.js';
import {
  CATALOG_SECRET_NAME,
  defaultGatewayMapPath,
  gatewaySelection,
  loadGatewayMap,
  saveGatewayMap,
  type GatewayMap,
  type GatewayMapEntry,
} from '../../core/gateway/map.js';
import { parseSecretRef } from '../../core/vault/refs.js';

/** The map file a command works on: `--map FILE`, else the default. */
export function mapFileOf(ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>, file?: string): string {
  return file ? expandPath(file, ctx) : defaultGatewayMapPath(ctx);
}

/**
 * `gateway map add`: sets `name` → `reference` (the default, or one environment's) and saves the map.
 * @returns the file, whether the entry was added or updated, and the entry as stored
 * @throws UsageError (2) for a bad name or reference; ConfigError (2) for a malformed existing map
 */
export async function addMapping(
  ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>,
  req: { file?: string; name: string; reference: string; env?: string; optional?: boolean },
): Promise<{ file: string; action: 'added' | 'updated'; entry: GatewayMapEntry }> {
  if (!CATALOG_SECRET_NAME.test(req.name)) {
    throw new UsageError(`'${req.name}' is not a catalog secret name`, 'use the name from the catalog entry\'s secrets[].name, e.g. github.personal_access_token');
  }
  try {
    parseSecretRef(req.reference);
  } catch (err) {
    throw new UsageError((err as Error).message, (err as ConfigError).hint);
  }
  const file = mapFileOf(ctx, req.file);
  const map = await loadGatewayMap(file, { missingOk: true });
  const before = map[req.name];
  const entry = setReference(before, req.reference, req.env, req.optional);
  map[req.name] = entry;
  await saveGatewayMap(file, map);
  return { file, action: before === undefined ? 'added' : 'updated', entry };
}

function setReference(before: GatewayMapEntry | undefined, reference: string, env: string | undefined, optional?: boolean): GatewayMapEntry {
  const full = before === undefined ? undefined : typeof before === 'string' ? { secret_name: before } : { ...before };
  let next: Exclude<GatewayMapEntry, string>;
  if (env && env !== 'default') {
    next = full ?? { secret_name: reference };
    next.environment = { ...(next.environment ?? {}), [env]: reference };
  } else {
    next = { ...(full ?? {}), secret_name: reference };
  }
  if (optional) next.required = false;
  const keys = Object.keys(next);
  return keys.length === 1 && keys[0] === 'secret_name' ? next.secret_name : next;
}

/** One row of `gateway map show`. */
export interface MapRow {
  name: string;
  reference: string;
  required: boolean;
}

/**
 * `gateway map show`: the references each catalog secret resolves to for `env`.
 * @throws ConfigError (2) for a missing or malformed map
 */
export async function showMap(
  ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>,
  req: { file?: string; env?: string },
): Promise<{ file: string; environment: string; rows: MapRow[]; warnings: string[] }> {
  const file = mapFileOf(ctx, req.file);
  const map = await loadGatewayMap(file, { missingOk: true });
  // environments declared in settings count as known, as for `gateway run`
  const { loadSettings } = await import('../../core/config/settings/index.js');
  const declared = req.env ? (await loadSettings(ctx, {})).settings.environments : [];
  const sel = gatewaySelection(map, file, req.env, declared);
  return { file, environment: sel.environment, rows: sel.specs.map((s) => ({ name: s.envVar, reference: s.reference, required: s.required })), warnings: sel.warnings };
}

/** A secret a catalog server declares. */
export interface DeclaredSecret {
  /** catalog secret name, e.g. `github.personal_access_token` */
  name: string;
  /** the variable the server gets it as */
  env?: string;
  /** servers declaring it */
  servers: string[];
  /** the catalog file */
  catalog: string;
}

/**
 * The `docker mcp` catalogs' declared secrets: every `registry.<server>.secrets[].name` of the local catalog files
 * (the gateway's format, pkg/catalog/types.go; by default every `*.yaml` under `~/.docker/mcp/catalogs/`, where
 * docker mcp keeps the catalogs it uses, including Docker's own `docker-mcp.yaml`).
 * @param req.catalogs catalog files (default: all in ~/.docker/mcp/catalogs)
 * @param req.servers only these servers (default: all)
 * @throws ConfigError (2) for an unreadable or malformed catalog named explicitly
 */
export async function declaredSecrets(
  ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>,
  req: { catalogs?: string[]; servers?: string[] },
): Promise<DeclaredSecret[]> {
  let files = (req.catalogs ?? []).map((c) => expandPath(c, ctx));
  const explicit = files.length > 0;
  if (!explicit) {
    const dir = path.join(ctx.homeDir, '.docker', 'mcp', 'catalogs');
    try {
      files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f));
    } catch {
      files = [];
    }
  }
  const found = new Map<string, DeclaredSecret>();
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parseYaml(await readFile(file, 'utf8'));
    } catch (err) {
      if (!explicit) continue;
      throw new ConfigError(`cannot read the catalog (${(err as NodeJS.ErrnoException).code ?? 'malformed YAML'})`, { file, hint: 'pass a docker mcp catalog file (name:, registry:)' });
    }
    const registry = (doc as { registry?: Record<string, { secrets?: Array<{ name?: unknown; env?: unknown }> }> } | null)?.registry;
    if (!registry || typeof registry !== 'object') continue;
    for (const [server, entry] of Object.entries(registry)) {
      if (req.servers && !req.servers.includes(server)) continue;
      for (const s of Array.isArray(entry?.secrets) ? entry.secrets : []) {
        if (typeof s?.name !== 'string' || !CATALOG_SECRET_NAME.test(s.name)) continue;
        const known = found.get(s.name);
        if (known) {
          if (!known.servers.includes(server)) known.servers.push(server);
        } else {
          found.set(s.name, { name: s.name, env: typeof s.env === 'string' ? s.env : undefined, servers: [server], catalog: file });
        }
      }
    }
  }
  return [...found.values()];
}

/**
 * Vault secret names tried for a catalog secret without a mapping, in order: the catalog name itself
 * (`github.personal_access_token`), then with `.`, `_` and `/` turned into `-` (`github-personal-access-token`).
 */
export function candidateNames(catalogName: string): string[] {
  const dashed = catalogName.replace(/[._/:]+/g, '-').toLowerCase();
  return [...new Set([catalogName, dashed])].filter((n) => /^[A-Za-z0-9._-]{1,255}$/.test(n));
}

/** Result of `gateway map import`. */
export interface ImportResult {
  file: string;
  /** mapped now: catalog name → the vault secret name found */
  added: Array<{ name: string; reference: string; servers: string[] }>;
  /** mapped before */
  existing: string[];
  /** declared, but no vault secret of a candidate name exists */
  unmapped: Array<{ name: string; servers: string[]; tried: string[] }>;
}

/**
 * `gateway map import`: for each declared secret without a mapping, looks for a vault secret of a candidate name
 * ({@link candidateNames}) with metadata calls only (`lookup`), adds what it finds, and names what it did not.
 * @param lookup true when a live secret of that name exists in the configured vault
 * @param req.dryRun report without saving
 */
export async function importMappings(
  ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>,
  declared: readonly DeclaredSecret[],
  lookup: (name: string) => Promise<boolean>,
  req: { file?: string; dryRun?: boolean },
): Promise<ImportResult> {
  const file = mapFileOf(ctx, req.file);
  const map: GatewayMap = await loadGatewayMap(file, { missingOk: true });
  const result: ImportResult = { file, added: [], existing: [], unmapped: [] };
  for (const d of declared) {
    if (map[d.name] !== undefined) {
      result.existing.push(d.name);
      continue;
    }
    const tried = candidateNames(d.name);
    let hit: string | undefined;
    for (const name of tried) {
      if (await lookup(name)) {
        hit = name;
        break;
      }
    }
    if (hit) {
      map[d.name] = hit;
      result.added.push({ name: d.name, reference: hit, servers: d.servers });
    } else {
      result.unmapped.push({ name: d.name, servers: d.servers, tried });
    }
  }
  if (!req.dryRun && result.added.length > 0) await saveGatewayMap(file, map);
  return result;
}
