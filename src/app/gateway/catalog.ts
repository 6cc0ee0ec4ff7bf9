import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import type { AppContext } from '../../core/context.js';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { ConfigError, UsageError } from '../../core/errors.js';
import { parseSecretRef } from '../../core/vault/refs.js';
import { defaultTokenSecret, isLoopback } from '../serve/serve.js';
import { addMapping } from './map.js';

/**
 * `gateway catalog add`: a `type: remote` entry in our own gateway catalog for an endpoint of `serve`, with the
 * bearer header taken from a declared secret (`${VAULTMCP_BEARER_TOKEN}`, never the token), and that secret
 * mapped in the gateway map to the vault secret `serve` checks, so `gateway run` hands it to the gateway through
 * the FIFO. Catalog format: docker/mcp-gateway pkg/catalog/types.go (`name`, `displayName`, `registry.<server>`
 * with `type`, `remote: {url, transport_type, headers}`, `secrets: [{name, env}]`); local catalogs must live under
 * `~/.docker/mcp/catalogs/` (reference/docker-gateway-2026.md).
 */

/** Variable the catalog's header expands (the gateway substitutes declared secrets' `env` names). */
export const BEARER_ENV = 'VAULTMCP_BEARER_TOKEN';
/** Default URL: `serve`'s default bind and port. */
export const DEFAULT_SERVE_URL = 'http://127.0.0.1:8931/mcp';

/** `~/.docker/mcp/catalogs/vaultmcp.yaml` (the gateway's base is the home directory, not DOCKER_CONFIG). */
export function vaultmcpCatalogPath(ctx: Pick<AppContext, 'homeDir'>): string {
  return path.join(ctx.homeDir, '.docker', 'mcp', 'catalogs', 'vaultmcp.yaml');
}

/** What `gateway catalog add` wrote: the catalog file and entry, the declared secret, its mapping. */
export interface CatalogAddResult {
  catalog: string;
  server: string;
  url: string;
  secretName: string;
  tokenSecret: string;
  map: string;
  /** The URL is one the gateway refuses unless DOCKER_MCP_ALLOW_INSECURE_REMOTE_URLS=1. */
  needsInsecureRemote: boolean;
}

/**
 * Adds (or replaces) the entry and the mapping.
 * @param req.service service name (the catalog server name); `url` default {@link DEFAULT_SERVE_URL};
 *   `tokenSecret` default `vaultmcp-serve-SERVICE` (as `serve`); `map` the gateway map file; `catalog` another
 *   file under ~/.docker/mcp/catalogs
 * @throws UsageError (2) for a bad name, URL or reference, or a catalog outside ~/.docker/mcp/catalogs;
 *   ConfigError (2) for a malformed existing catalog or map
 */
export async function addCatalogEntry(
  ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>,
  req: { service: string; url?: string; tokenSecret?: string; map?: string; catalog?: string },
): Promise<CatalogAddResult> {
  const server = req.service;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(server)) {
    throw new UsageError(`'${server}' cannot be a catalog server name`, 'use the service name (letters, digits, ".", "_", "-")');
  }
  const url = req.url ?? DEFAULT_SERVE_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url ${url} is not a URL`, 'e.g. --url http://127.0.0.1:8931/mcp');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError('--url must be http:// or https://', 'e.g. --url https://mcp.example.com/mcp');
  if (parsed.username || parsed.password) throw new UsageError('--url must not carry credentials', 'the bearer token comes from the vault through the gateway map');
  const tokenSecret = req.tokenSecret ?? defaultTokenSecret(server);
  try {
    parseSecretRef(tokenSecret);
  } catch (err) {
    throw new UsageError(`--token-secret: ${(err as Error).message}`);
  }
  const dir = path.join(ctx.homeDir, '.docker', 'mcp', 'catalogs');
  const catalog = req.catalog ? path.resolve(ctx.cwd, req.catalog) : vaultmcpCatalogPath(ctx);
  if (path.relative(dir, catalog).startsWith('..') || path.isAbsolute(path.relative(dir, catalog))) {
    throw new UsageError(`the gateway reads local catalogs only under ${dir}`, `drop --catalog, or name a file in ${dir}`);
  }

  let doc: { name?: string; displayName?: string; registry?: Record<string, unknown> } = {};
  try {
    const text = await readFile(catalog, 'utf8');
    const raw = parseYaml(text) as unknown;
    if (raw !== null && raw !== undefined) {
      if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error('not a mapping');
      doc = raw as typeof doc;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError('cannot read the catalog (malformed YAML or unreadable)', { file: catalog, hint: 'fix or remove the file' });
    }
  }
  const secretName = `${server}.bearer_token`;
  doc.name ??= path.basename(catalog).replace(/\.ya?ml$/, '');
  doc.displayName ??= 'docker vaultmcp: servers with credentials from OCI Vault';
  doc.registry = { ...(doc.registry ?? {}) };
  doc.registry[server] = {
    type: 'remote',
    title: server,
    description: `${server} served by \`docker vaultmcp serve ${server}\` (credentials from OCI Vault)`,
    remote: { url, transport_type: 'streamable-http', headers: { Authorization: `Bearer \${${BEARER_ENV}}` } },
    secrets: [{ name: secretName, env: BEARER_ENV }],
  };
  await writeFileAtomic(catalog, '# written by docker vaultmcp gateway catalog add; holds no secret values\n' + stringify(doc, { lineWidth: 0 }), { mode: 0o644 });
  const mapped = await addMapping(ctx, { file: req.map, name: secretName, reference: tokenSecret });
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const needsInsecureRemote =
    parsed.protocol === 'http:' || isLoopback(host) || host.endsWith('.local') || host.endsWith('.internal') || /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(host);
  return { catalog, server, url, secretName, tokenSecret, map: mapped.file, needsInsecureRemote };
}
