import { execFile } from 'node:child_process';
import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../../core/context.js';
import type { CheckOutcome, DoctorCheck } from './runner.js';
import { fail, pass, warn, type DoctorState } from './state.js';

/**
 * Doctor's checks of the Docker side, in display order: docker-cli (`docker --version` runs) and docker-plugin
 * (our binary in a CLI plugin directory, executable, answering `docker-cli-plugin-metadata` with SchemaVersion
 * 0.1.0 and a Vendor: reference/docker-plugin-and-gateway.md §1).
 */
export function dockerChecks(state: DoctorState): DoctorCheck[] {
  return [
    { id: 'docker-cli', title: 'Docker CLI present', run: (s) => checkDockerCli(state, s) },
    { id: 'docker-plugin', title: 'Docker CLI plugin installed', run: (s) => checkDockerPlugin(state, s) },
  ];
}

/**
 * Docker's CLI plugin directories in its search order (reference/docker-plugin-and-gateway.md §1.2):
 * `${DOCKER_CONFIG:-~/.docker}/cli-plugins`, then the system directories.
 */
export function dockerPluginDirs(ctx: Pick<AppContext, 'env' | 'homeDir'>): string[] {
  const configDir = ctx.env.DOCKER_CONFIG || path.join(ctx.homeDir, '.docker');
  return [
    path.join(configDir, 'cli-plugins'),
    '/usr/local/lib/docker/cli-plugins',
    '/usr/local/libexec/docker/cli-plugins',
    '/usr/lib/docker/cli-plugins',
    '/usr/libexec/docker/cli-plugins',
  ];
}

async function checkDockerCli(state: DoctorState, signal: AbortSignal): Promise<CheckOutcome> {
  try {
    const out = await execText('docker', ['--version'], state.ctx.env, signal);
    return pass(out.trim().split('\n')[0] ?? 'docker');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return warn('docker is not on PATH', 'install Docker (MCP clients can still start the binary directly)');
    return warn('`docker --version` failed', 'check the Docker installation');
  }
}

async function checkDockerPlugin(state: DoctorState, signal: AbortSignal): Promise<CheckOutcome> {
  const dirs = dockerPluginDirs(state.ctx);
  let found: string | undefined;
  for (const dir of dirs) {
    const p = path.join(dir, process.platform === 'win32' ? 'docker-vaultmcp.exe' : 'docker-vaultmcp');
    try {
      await stat(p);
      found = p;
      break;
    } catch {
      /* next */
    }
  }
  if (!found) return warn(`not installed in ${dirs[0]}`, `install it with \`docker vaultmcp setup\`, or copy the binary to ${path.join(dirs[0]!, 'docker-vaultmcp')}`);
  try {
    await access(found, constants.X_OK);
  } catch {
    return fail(`${found} is not executable`, `chmod 755 ${found}`);
  }
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(await execText(found, ['docker-cli-plugin-metadata'], state.ctx.env, signal));
  } catch {
    return fail(`${found} did not print valid plugin metadata`, `reinstall it: copy the current binary to ${found}`);
  }
  if (meta.SchemaVersion !== '0.1.0' || typeof meta.Vendor !== 'string' || !meta.Vendor) {
    return fail(`${found}: metadata has SchemaVersion ${String(meta.SchemaVersion)}, Vendor ${String(meta.Vendor)}`, `reinstall it: copy the current binary to ${found}`);
  }
  return pass(`${found} (version ${String(meta.Version ?? '?')})`);
}

function execText(file: string, args: string[], env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, signal, timeout: 15_000, maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(err) : resolve(String(stdout))));
  });
}
