import { execFile } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../../core/context.js';
import { ExitCode, VaultMcpError } from '../../core/errors.js';
import { dockerPluginDirs } from '../doctor/docker.js';

/**
 * The oldest `docker mcp` we drive. Facts we rely on were checked at v0.43.3 (reference/docker-gateway-2026.md):
 * local catalogs must live under ~/.docker/mcp/catalogs (v0.43.1, which `gateway catalog add` writes to), remote
 * URLs are refused unless public HTTPS or DOCKER_MCP_ALLOW_INSECURE_REMOTE_URLS is set (v0.43.1), and `--secrets`
 * with a file path selects legacy file mode (profiles are the default since v0.42.0).
 */
export const MIN_DOCKER_MCP_VERSION = '0.43.1';

/** The installed `docker mcp` CLI plugin. */
export interface DockerMcpPlugin {
  /** Absolute path of `docker-mcp`. */
  path: string;
  /** `Version` from its plugin metadata (e.g. `v0.43.3`), if any. */
  version?: string;
}

/**
 * Finds the `docker mcp` plugin the way the docker CLI does (its plugin directories in search order,
 * reference/docker-plugin-and-gateway.md §1.2) and reads its version from `docker-cli-plugin-metadata`.
 * A version that is not `X.Y.Z` (a dev build) is accepted.
 * @returns the plugin and a warning line when its version could not be read
 * @throws VaultMcpError exit 127 when it is not installed; exit 2 when it is older than {@link MIN_DOCKER_MCP_VERSION}
 *   or does not answer the metadata call
 */
export async function findDockerMcp(ctx: Pick<AppContext, 'env' | 'homeDir'>): Promise<{ plugin: DockerMcpPlugin; warning?: string }> {
  // Docker Desktop puts its plugins (docker-mcp among them) in `cliPluginsExtraDirs` of config.json, which the
  // CLI searches first (reference/docker-plugin-and-gateway.md §1.2).
  const dirs = [...(await extraPluginDirs(ctx)), ...dockerPluginDirs(ctx)];
  let found: string | undefined;
  for (const dir of dirs) {
    const p = path.join(dir, 'docker-mcp');
    try {
      await access(p, constants.X_OK);
      found = p;
      break;
    } catch {
      /* next */
    }
  }
  if (!found) {
    throw new VaultMcpError('`docker mcp` (the Docker MCP Toolkit CLI plugin) is not installed', {
      exitCode: ExitCode.NOT_FOUND,
      hint: `install Docker Desktop with the MCP Toolkit, or put docker-mcp from https://github.com/docker/mcp-gateway/releases in ${dirs[0]}`,
    });
  }
  let meta: { Version?: unknown };
  try {
    meta = JSON.parse(await execText(found, ['docker-cli-plugin-metadata'], ctx.env));
  } catch {
    throw new VaultMcpError(`${found} does not answer as a docker CLI plugin`, { exitCode: ExitCode.USAGE, hint: 'reinstall the Docker MCP Toolkit (docker-mcp)' });
  }
  const version = typeof meta.Version === 'string' ? meta.Version : undefined;
  const parsed = version ? parseVersion(version) : undefined;
  if (!parsed) return { plugin: { path: found, version }, warning: `cannot tell the version of docker mcp (${version ?? 'none'}); ${MIN_DOCKER_MCP_VERSION} or later is expected` };
  if (compareVersions(parsed, parseVersion(MIN_DOCKER_MCP_VERSION)!) < 0) {
    throw new VaultMcpError(`docker mcp ${version} is too old: ${MIN_DOCKER_MCP_VERSION} or later is needed`, {
      exitCode: ExitCode.USAGE,
      hint: 'update Docker Desktop, or docker-mcp from https://github.com/docker/mcp-gateway/releases',
    });
  }
  return { plugin: { path: found, version } };
}

/** `cliPluginsExtraDirs` of `${DOCKER_CONFIG:-~/.docker}/config.json`; none when unreadable. */
async function extraPluginDirs(ctx: Pick<AppContext, 'env' | 'homeDir'>): Promise<string[]> {
  const configDir = ctx.env.DOCKER_CONFIG || path.join(ctx.homeDir, '.docker');
  try {
    const json = JSON.parse(await readFile(path.join(configDir, 'config.json'), 'utf8')) as { cliPluginsExtraDirs?: unknown };
    return Array.isArray(json.cliPluginsExtraDirs) ? json.cliPluginsExtraDirs.filter((d): d is string => typeof d === 'string' && path.isAbsolute(d)) : [];
  } catch {
    return [];
  }
}

/** `v0.43.3`, `0.43.3-rc1` → [0, 43, 3]; anything else → undefined. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function execText(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: 15_000, maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(err) : resolve(String(stdout))));
  });
}
