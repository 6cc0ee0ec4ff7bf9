import { stat } from 'node:fs/promises';
import { isVaultMcpError } from '../../core/errors.js';
import type { CheckOutcome, DoctorCheck } from './runner.js';
import { fail, pass, skip, warn, type DoctorState } from './state.js';

/**
 * Doctor's checks of this machine's secret storage, in display order: keychain (OS keychain available and
 * unlocked: it holds the cache key and stored passphrases) and cache (directory mode 0700, entries decryptable).
 */
export function localChecks(state: DoctorState): DoctorCheck[] {
  return [
    { id: 'keychain', title: 'OS keychain available and unlocked', run: () => checkKeychain(state) },
    { id: 'cache', title: 'Secret cache directory and entries', needs: ['settings'], runAfterFailure: true, run: () => checkCache(state) },
    { id: 'config-trust', title: 'Settings and service files only you (or root) can write', run: () => checkConfigTrust(state) },
  ];
}

/**
 * Every resolver.yaml and service file we would read, and their directories, under the rule `run` applies
 * (core/config/trust.ts): a file someone else could write decides which command gets the secrets.
 */
async function checkConfigTrust(state: DoctorState): Promise<CheckOutcome> {
  const [{ readdir, stat: statPath }, path, { ownershipProblem, directoryChainProblem }, { settingsFileCandidates, serviceDirs }] = await Promise.all([
    import('node:fs/promises'),
    import('node:path'),
    import('../../core/config/trust.js'),
    import('../../core/config/paths.js'),
  ]);
  const files = settingsFileCandidates(state.ctx).map((c) => c.file);
  for (const { dir } of serviceDirs(state.ctx)) {
    for (const entry of await readdir(dir).catch(() => [] as string[])) if (/\.(json|ya?ml)$/.test(entry)) files.push(path.join(dir, entry));
  }
  let checked = 0;
  for (const file of files) {
    const s = await statPath(file).catch(() => undefined);
    if (!s) continue;
    checked++;
    const problem = ownershipProblem(file, s, false) ?? (await directoryChainProblem(path.dirname(file)));
    if (problem) {
      return fail(`${file}: ${problem.path === file ? '' : `its directory ${problem.path} is `}${problem.reason}; run refuses it`, problem.fix);
    }
  }
  return pass(checked ? `${checked} file(s) checked: owned by you or root, not writable by others` : 'no settings or service files of your own (built-in templates only)');
}

async function checkKeychain(state: DoctorState): Promise<CheckOutcome> {
  let status;
  try {
    status = await (await state.keychain()).status();
  } catch (err) {
    status = { available: false, locked: false, detail: `the keychain could not be loaded${isVaultMcpError(err) ? `: ${err.message}` : ''}`, hint: isVaultMcpError(err) ? err.hint : undefined };
  }
  if (status.available) return pass(status.detail);
  const hint =
    status.hint ??
    (status.locked
      ? 'unlock the login keyring (log in to the desktop session, or `gnome-keyring-daemon --unlock`)'
      : 'on Linux, run a Secret Service (gnome-keyring-daemon) on the session D-Bus');
  // Without a keychain the cache has no key (unless VAULTMCP_CACHE_KEY) and a stored passphrase cannot be read.
  const settings = (await state.loadedOrUndefined())?.settings;
  const needed = (settings?.cache.enabled ?? true) && !state.ctx.env.VAULTMCP_CACHE_KEY;
  if (!needed) return warn(`${status.detail} (not needed: the cache key comes from VAULTMCP_CACHE_KEY or the cache is off)`, hint);
  return fail(`${status.detail}${status.locked ? ' (locked)' : ''}: the secret cache is off and stored passphrases cannot be read`, hint);
}

async function checkCache(state: DoctorState): Promise<CheckOutcome> {
  const loaded = await state.loadedOrUndefined();
  if (!loaded) return skip('skipped: the settings could not be loaded');
  const { settings } = loaded;
  if (!settings.cache.enabled) return skip('cache.enabled is false');
  const dir = settings.cache.dir;
  // the rule `run` applies (core/private-dir.ts): ours, not writable by others, in trusted directories
  const { privateDirProblem } = await import('../../core/private-dir.js');
  const problem = await privateDirProblem(dir);
  if (problem) {
    return fail(`${dir}: ${problem.path === dir ? '' : `${problem.path} is `}${problem.reason}; run refuses it`, `${problem.fix}; or set cache.dir (OCI_VAULT_CACHE_DIR) to a directory only you can write`);
  }
  let st;
  try {
    st = await stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return pass(`${dir} not created yet (created 0700 on first use)`);
    return fail(`cannot read ${dir} (${(err as NodeJS.ErrnoException).code})`, `fix the permissions of ${dir} or set cache.dir`);
  }
  const octal = (st.mode & 0o777).toString(8).padStart(4, '0');
  const { openSecretCacheDetailed } = await import('../../core/cache/secret-cache.js');
  const opened = await openSecretCacheDetailed(settings, state.ctx);
  if (!opened.cache) return warn(`${dir}, mode ${octal}; the disk cache is off for this run: no cache key (see the keychain check)`, 'fix the keychain check, or set VAULTMCP_CACHE_KEY to a base64 32-byte key');
  const entries = await opened.cache.entries();
  const bad = entries.filter((e) => e.valid === false).length;
  if (bad) return warn(`${dir}: ${bad} of ${entries.length} entries cannot be decrypted (they are ignored)`, '`docker vaultmcp cache clear` removes them');
  return pass(`${dir}, mode ${octal}, ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} decryptable (key from ${opened.cache.keySource})`);
}
