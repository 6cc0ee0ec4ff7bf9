/**
 * A SecretAdmin on the real OCI SDK against a test emulator, in a throw-away home directory: the context, the
 * settings from the emulator's resolver.yaml (cache off), and the admin. Shared by the integration tests of the
 * secret commands' core.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createSecretAdmin, type SecretAdmin } from '../../src/app/secrets/index.js';
import type { AppContext } from '../../src/core/context.js';
import { loadSettings, type Settings } from '../../src/core/config/settings/index.js';
import type { TestEmulator } from './emulator.js';

export interface AdminFixture {
  ctx: AppContext;
  settings: Settings;
  admin: SecretAdmin;
  /** Removes the home directory. */
  cleanup(): Promise<void>;
}

/**
 * @param prefix the temp directory's name prefix
 * @param adjust changes the loaded settings before the admin is built (e.g. drop vault.compartment_id)
 */
export async function adminFixture(emu: TestEmulator, prefix: string, adjust: (s: Settings) => void = () => {}): Promise<AdminFixture> {
  const home = await mkdtemp(path.join(os.tmpdir(), prefix));
  const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_CACHE_HOME: path.join(home, 'cache') };
  const ctx: AppContext = { env, cwd: home, homeDir: home, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, now: Date.now };
  const settings = (await loadSettings(ctx, { configFile: emu.info.resolverConfig })).settings;
  settings.cache.enabled = false;
  adjust(settings);
  return { ctx, settings, admin: await createSecretAdmin(settings, ctx), cleanup: () => rm(home, { recursive: true, force: true }) };
}
