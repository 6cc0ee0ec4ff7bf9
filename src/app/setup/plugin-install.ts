import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { chmod, copyFile, mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../../core/context.js';
import { dockerPluginDirs } from '../doctor/checks.js';

/** What installing the Docker CLI plugin would do, or why it is not offered. */
export type PluginInstallPlan =
  | { action: 'install' | 'replace'; source: string; target: string }
  | { action: 'skip'; reason: string; target: string };

/** True when this process is the Bun-compiled single binary (its modules live in Bun's virtual `$bunfs`). */
export function runningAsCompiledBinary(moduleUrl: string = import.meta.url): boolean {
  return moduleUrl.includes('/$bunfs/') || moduleUrl.includes('~BUN');
}

/**
 * Decides whether to offer installing `execPath` as `${DOCKER_CONFIG:-~/.docker}/cli-plugins/docker-vaultmcp`:
 * only for the compiled binary (under node/tsx there is no single file to copy); `replace` when another file is
 * there (the caller asks first); `skip` when the target already is this file.
 */
export async function planPluginInstall(ctx: Pick<AppContext, 'env' | 'homeDir'>, execPath: string, compiled = runningAsCompiledBinary()): Promise<PluginInstallPlan> {
  const target = path.join(dockerPluginDirs(ctx)[0]!, process.platform === 'win32' ? 'docker-vaultmcp.exe' : 'docker-vaultmcp');
  if (!compiled) return { action: 'skip', reason: 'running under node/tsx: build the binary (`npm run build:binary`) and install it with `npm run install-plugin`', target };
  const [src, dst] = await Promise.all([stat(execPath).catch(() => undefined), stat(target).catch(() => undefined)]);
  if (!src) return { action: 'skip', reason: `cannot read ${execPath}`, target };
  if (dst && dst.ino === src.ino && dst.dev === src.dev) return { action: 'skip', reason: `already installed as ${target}`, target };
  return { action: dst ? 'replace' : 'install', source: execPath, target };
}

/**
 * Copies the binary into Docker's plugin directory (temp file + rename, mode 0755), so a running docker never
 * sees a half-copied plugin.
 * @throws the fs error (the caller reports it)
 */
export async function installPlugin(source: string, target: string): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await copyFile(source, tmp, fsConstants.COPYFILE_EXCL); // never through a file or link already at that name
  await chmod(tmp, 0o755);
  await rename(tmp, target);
}
