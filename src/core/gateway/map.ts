import path from 'node:path';
import * as z from 'zod/mini';
import { readTrustedConfigFile } from '../config/trust.js';
import { assertTextShallow, guardDepth } from '../config/yaml-depth.js';
import { LineCounter, parseDocument, stringify } from 'yaml';
import '../config/settings/zod-locale.js';
import { secretDeclarationSchema, type ServiceDefinition } from '../config/services/schema.js';
import { selectEnvironment, type ServiceSelection } from '../config/services/select.js';
import { userConfigDir } from '../config/paths.js';
import type { AppContext } from '../context.js';
import { ConfigError } from '../errors.js';
import { describeUnknownKeys, displayableKeyPath, safeYamlMessage } from '../mask.js';
import { writeFileAtomic } from '../atomic-file.js';

/**
 * The gateway map: which OCI Vault secret backs each secret the Docker MCP gateway's catalog declares. Keys are
 * catalog secret names (`github.personal_access_token`, the `secrets[].name` of a catalog server entry); values
 * are secret declarations exactly as in a service definition (a reference, or `{secret_name, environment,
 * version, stage, required}`), so `--env` selects per-environment references the same way `run` does.
 *
 * ```yaml
 * github.personal_access_token: { secret_name: github-token, environment: { production: github-token-prod } }
 * notion.internal_integration_token: notion-token
 * ```
 * Default file: `~/.config/oci-vault-mcp/gateway.yaml` ($XDG_CONFIG_HOME honoured). It holds references only,
 * never values.
 */

/**
 * A catalog secret name as the gateway and Docker's secrets engine accept it
 * (`^[A-Za-z0-9._:-]+(/[A-Za-z0-9._:-]+)*$`, docker/secrets-engine x/secrets/identifiers.go, per
 * reference/docker-plugin-and-gateway.md §2.5). `=` and `#` cannot occur, so a `.env` line stays unambiguous.
 */
export const CATALOG_SECRET_NAME = /^[A-Za-z0-9._:-]+(\/[A-Za-z0-9._:-]+)*$/;

const nonEmpty = () => z.string().check(z.minLength(1));
const catalogSecretName = z.string().check(z.regex(CATALOG_SECRET_NAME, 'must be a catalog secret name such as github.personal_access_token'));

/** Schema of the whole file: catalog secret name → declaration (short form: the reference alone). */
export const gatewayMapSchema = z.record(catalogSecretName, z.union([nonEmpty(), secretDeclarationSchema]));

/** One mapping: a reference, or a declaration with per-environment references, version/stage, required. */
export type GatewayMapEntry = z.infer<typeof secretDeclarationSchema> | string;
/** A validated gateway map: catalog secret name → declaration. */
export type GatewayMap = Record<string, GatewayMapEntry>;

/** `$XDG_CONFIG_HOME/oci-vault-mcp/gateway.yaml` or `~/.config/oci-vault-mcp/gateway.yaml`. */
export function defaultGatewayMapPath(ctx: Pick<AppContext, 'env' | 'homeDir'>): string {
  return path.join(userConfigDir(ctx), 'gateway.yaml');
}

/**
 * Loads and validates a gateway map. This is the ONE place the map file is read: the ownership/permission trust
 * check that applies to our other trusted files belongs here (the file decides which vault secrets are handed to
 * the gateway).
 * @param file absolute path
 * @param options.missingOk a missing file is an empty map (for `map add`/`import`, which create it)
 * @returns the map (entries in file order)
 * @throws ConfigError (exit 2) unreadable, malformed (with line:column), or invalid entries; a missing file
 *   without `missingOk`
 */
export async function loadGatewayMap(file: string, options: { missingOk?: boolean } = {}): Promise<GatewayMap> {
  let text: string;
  try {
    // it decides which secrets Docker's gateway gets: trusted like settings (only ours, a regular file, ≤ 1 MiB)
    text = (await readTrustedConfigFile(file, { what: 'gateway map' }))!;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && options.missingOk) return {};
    if (code === 'ENOENT') {
      throw new ConfigError('gateway map not found', {
        file,
        hint: 'create it with `docker vaultmcp gateway map add CATALOG_SECRET REFERENCE` or `docker vaultmcp gateway map import`',
      });
    }
    throw new ConfigError(`cannot read the gateway map (${code ?? 'error'})`, { file, hint: 'check the file permissions' });
  }
  return parseGatewayMap(text, file);
}

/**
 * Parses and validates gateway-map text (YAML or JSON).
 * @throws ConfigError with file and line:column
 */
export function parseGatewayMap(text: string, file: string): GatewayMap {
  const lineCounter = new LineCounter();
  assertTextShallow(text, file); // absurd nesting is refused before the parser recurses into it (yaml-depth.ts)
  const doc = guardDepth(() => parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true }), file);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0] ?? (e.pos?.[0] !== undefined ? lineCounter.linePos(e.pos[0]) : undefined);
    throw new ConfigError(`malformed gateway map: ${safeYamlMessage(e.message)}`, { file, location: pos ? `${pos.line}:${pos.col}` : undefined, hint: 'fix the YAML syntax at that position' });
  }
  let raw: unknown;
  try {
    raw = guardDepth(() => doc.toJS(), file) ?? {};
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`malformed gateway map: ${safeYamlMessage(String((err as Error)?.message ?? ''))}`, { file, hint: 'fix the YAML syntax' });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('the gateway map must map catalog secret names to vault references', { file, hint: 'e.g. `github.personal_access_token: github-token`' });
  }
  const result = gatewayMapSchema.safeParse(raw);
  if (result.success) return result.data as GatewayMap;
  const issue = result.error.issues[0]!;
  const keyPath = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const key = displayableKeyPath(keyPath);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = describeUnknownKeys(key, (issue as { keys: string[] }).keys);
  else if (issue.code === 'invalid_key') message = `${key ? `'${key}' ` : 'a key '}is not a catalog secret name (letters, digits, ".", "_", ":", "-", "/"), e.g. github.personal_access_token`;
  else if (key) message = `'${key}' ${message}`;
  const node = keyPath.length ? (doc.getIn(keyPath as unknown[], true) as { range?: [number, number, number] } | undefined) : undefined;
  const at = node?.range ? lineCounter.linePos(node.range[0]) : undefined;
  throw new ConfigError(message, { file, location: at ? `${at.line}:${at.col}` : undefined, hint: 'see docs/gateway.md "The gateway map"' });
}

/**
 * Writes the map atomically (0600; the directory is created 0700 when missing). References only, never values.
 * @throws the fs error
 */
export async function saveGatewayMap(file: string, map: GatewayMap): Promise<void> {
  const header = '# docker vaultmcp gateway map: catalog secret name → OCI Vault reference (never values)\n';
  await writeFileAtomic(file, header + (Object.keys(map).length ? stringify(map, { lineWidth: 0 }) : '{}\n'), { mode: 0o600 });
}

/**
 * The secrets to resolve for a gateway run: the map as a service definition whose "variables" are catalog secret
 * names, so environment selection, version/stage pins and `required` behave exactly as for `run`.
 * @param environment `--env` (or OCI_VAULT_ENVIRONMENT); one the map does not know but settings `environments:`
 *   lists → warning and default names; one nothing knows → UsageError (the rule of `run`, services/select.ts)
 * @param declared the settings-level `environments:` list
 * @returns the selection; each spec's `envVar` is the catalog secret name
 * @throws ConfigError for a malformed reference; UsageError (2) for an environment nothing declares
 */
export function gatewaySelection(map: GatewayMap, file: string, environment: string | undefined, declared: readonly string[] = []): ServiceSelection {
  const service: ServiceDefinition = {
    name: 'gateway map',
    origin: file,
    source: 'path',
    secrets: map,
    target_command: ['docker'],
    env_overrides: {},
    passthrough_env: [],
    environments: [],
  };
  return selectEnvironment(service, environment, { declared });
}
