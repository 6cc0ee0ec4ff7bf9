import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import type { AppContext } from '../../context.js';
import { ConfigError, UsageError } from '../../errors.js';
import { describeUnknownKeys, displayableKeyPath, safeYamlMessage } from '../../mask.js';
import { expandPath, looksLikePath, SERVICE_FILE_EXTENSIONS, serviceDirs } from '../paths.js';
import { readTrustedConfigFile } from '../trust.js';
import { describeZodIssue } from '../zod-issue.js';
import { assertShallow, assertTextShallow, guardDepth } from '../yaml-depth.js';
import { credentialRefusal, credentialShape } from '../../credential-shape.js';
import { serviceFileSchema, type ServiceDefinition, type ServiceFile } from './schema.js';
import { BUILTIN_TEMPLATES } from './templates.js';

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Loads a service definition. `nameOrPath` is a path to a service file (contains a slash or ends in
 * .json/.yaml/.yml: the user named it explicitly) or a name looked up in the user's config dir
 * (`~/.config/oci-vault-mcp/services/`), the system dir (`/etc/oci-vault-mcp/services/`), then the built-in
 * templates. Nothing is looked up in the current directory implicitly.
 * @throws UsageError (exit 2) unknown service; ConfigError (exit 2) malformed file, with file and line:column
 */
export async function loadService(nameOrPath: string, ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>): Promise<ServiceDefinition> {
  if (looksLikePath(nameOrPath)) {
    const file = expandPath(nameOrPath, ctx);
    const text = await readText(file, true);
    const name = path.basename(file).replace(/\.(json|ya?ml)$/, '');
    return { ...parseServiceText(text!, file), name, origin: file, source: 'path' };
  }
  const shape = credentialShape(nameOrPath);
  if (shape) throw new UsageError(credentialRefusal('the service name', shape), 'pass a service name from `docker vaultmcp service list`');
  if (!SERVICE_NAME.test(nameOrPath)) {
    throw new UsageError(`invalid service name '${nameOrPath}'`, 'a service name uses letters, digits, ".", "_" and "-"');
  }
  for (const { dir, source } of serviceDirs(ctx)) {
    for (const ext of SERVICE_FILE_EXTENSIONS) {
      const file = path.join(dir, nameOrPath + ext);
      const text = await readText(file, false);
      if (text !== undefined) return { ...parseServiceText(text, file), name: nameOrPath, origin: file, source };
    }
  }
  const builtin = BUILTIN_TEMPLATES[nameOrPath];
  if (builtin) {
    return { ...parseServiceObject(builtin, `builtin:${nameOrPath}`), name: nameOrPath, origin: `builtin:${nameOrPath}`, source: 'builtin' };
  }
  const known = (await listServices(ctx)).map((s) => s.name);
  throw new UsageError(
    `unknown service '${nameOrPath}'`,
    `known services: ${known.join(', ')}; or create ${path.join(serviceDirs(ctx)[0]!.dir, nameOrPath + '.json')}, or pass a path to a service file`,
  );
}

/** Summary row of `service list`. */
export interface ServiceSummary {
  name: string;
  description?: string;
  source: 'user' | 'system' | 'builtin';
  origin: string;
  /** Set when a higher-priority definition with the same name hides this one. */
  shadowedBy?: string;
  /** Set when the file could not be parsed (the message, one line). */
  error?: string;
}

/**
 * Lists every service definition: user dir, system dir, built-ins; later ones with the same name are shadowed.
 * Malformed files are listed with their error instead of failing the listing.
 */
export async function listServices(ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>): Promise<ServiceSummary[]> {
  const rows: ServiceSummary[] = [];
  const seen = new Map<string, string>();
  for (const { dir, source } of serviceDirs(ctx)) {
    let entries: string[] = [];
    try {
      entries = (await readdir(dir)).sort();
    } catch {
      continue;
    }
    for (const entry of entries) {
      const ext = SERVICE_FILE_EXTENSIONS.find((e) => entry.endsWith(e));
      if (!ext) continue;
      const name = entry.slice(0, -ext.length);
      const file = path.join(dir, entry);
      const row: ServiceSummary = { name, source, origin: file };
      try {
        row.description = parseServiceText((await readText(file, true))!, file).description;
      } catch (err) {
        row.error = (err as Error).message;
      }
      if (seen.has(name)) row.shadowedBy = seen.get(name);
      else seen.set(name, file);
      rows.push(row);
    }
  }
  for (const [name, raw] of Object.entries(BUILTIN_TEMPLATES).sort(([a], [b]) => a.localeCompare(b))) {
    const origin = `builtin:${name}`;
    rows.push({
      name,
      source: 'builtin',
      origin,
      description: (raw as { description?: string }).description,
      ...(seen.has(name) ? { shadowedBy: seen.get(name) } : {}),
    });
  }
  return rows;
}

/**
 * A service file's text: only a regular file of at most 1 MiB that nobody but us or root could have written
 * (config/trust.ts): it decides which command gets the secrets.
 */
async function readText(file: string, required: boolean): Promise<string | undefined> {
  try {
    return await readTrustedConfigFile(file, { what: 'service definition', optional: !required });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`service file not found: ${file}`, 'check the path, or pass a service name');
    throw new ConfigError(`cannot read service file (${code})`, { file, hint: 'check the file permissions' });
  }
}

/**
 * Parses and validates service-definition text (JSON or YAML; YAML is a superset of JSON, so one parser gives
 * line:column positions for both).
 * @throws ConfigError with file and line:column of the syntax error or of the offending key
 */
export function parseServiceText(text: string, file: string): ServiceFile {
  const lineCounter = new LineCounter();
  assertTextShallow(text, file);
  const doc = guardDepth(() => parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true }), file);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0] ?? (e.pos?.[0] !== undefined ? lineCounter.linePos(e.pos[0]) : undefined);
    throw new ConfigError(`malformed service definition: ${safeYamlMessage(e.message)}`, {
      file,
      location: pos ? `${pos.line}:${pos.col}` : undefined,
      hint: 'fix the syntax at that position',
    });
  }
  let raw: unknown;
  try {
    raw = guardDepth(() => doc.toJS(), file);
    assertShallow(raw, file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // e.g. an unresolved alias; yaml's message quotes the source text, so only our filtered version is shown
    throw new ConfigError(`malformed service definition: ${safeYamlMessage(String((err as Error)?.message ?? ''))}`, { file, hint: 'fix the YAML syntax' });
  }
  return parseServiceObject(raw, file, (keyPath) => {
    const node = findNode(doc, keyPath);
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return `${line}:${col}`;
  });
}

function findNode(doc: ReturnType<typeof parseDocument>, keyPath: PropertyKey[]): { range?: [number, number, number] | null } | undefined {
  for (let n = keyPath.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(keyPath.slice(0, n) as unknown[], true)) as { range?: [number, number, number] } | undefined;
    if (node && (node.range || isMap(node) || isSeq(node))) {
      // for a key that exists, point at its value; for a missing key, at the enclosing map
      return node;
    }
  }
  return undefined;
}

function parseServiceObject(raw: unknown, file: string, position?: (keyPath: PropertyKey[]) => string | undefined): ServiceFile {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('a service definition must be an object with "secrets" and "target_command"', { file, location: position?.([]) });
  }
  const result = serviceFileSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const described = describeZodIssue(issue as never);
  const keyPath = described.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  // keys are the user's text and may be a pasted secret: only key-like ones are quoted (the position still points at it)
  const key = displayableKeyPath(keyPath);
  let message = described.message;
  if (issue.code === 'unrecognized_keys') {
    message = describeUnknownKeys(key, (issue as { keys: string[] }).keys);
  } else if (key) {
    message = `'${key}' ${message}`;
  }
  throw new ConfigError(message, {
    file,
    location: position?.(keyPath),
    hint: 'see README "Service definitions" for the format',
  });
}
