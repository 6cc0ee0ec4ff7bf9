import { access, constants, readFile, stat } from 'node:fs/promises';
import { describeExpiry, sessionTokenFix, sessionTokenTimes } from '../../core/vault/session-token.js';
import { isEncryptedPem, keyFingerprint } from '../setup/api-key.js';
import type { CheckOutcome, DoctorCheck } from './runner.js';
import { fail, pass, skip, warn, type DoctorState } from './state.js';

/**
 * Doctor's checks of the local configuration, in display order: settings (found, valid, which source set what),
 * oci-config (profile has the keys its auth method needs), key-file (readable, mode 0600), key-fingerprint (the
 * profile's fingerprint is the key's: MD5 of the DER public key, as OCI computes it).
 */
export function settingsAndOciChecks(state: DoctorState): DoctorCheck[] {
  return [
    { id: 'settings', title: 'Settings found and valid', run: () => checkSettings(state) },
    { id: 'oci-config', title: 'OCI config file and profile', needs: ['settings'], runAfterFailure: true, run: () => checkOciConfig(state) },
    { id: 'key-file', title: 'API key file readable, mode 0600', needs: ['oci-config'], run: () => checkKeyFile(state) },
    { id: 'key-fingerprint', title: 'Fingerprint in the profile matches the key', needs: ['key-file'], run: () => checkFingerprint(state) },
    { id: 'session-token', title: 'Session token not expired (session_token auth)', needs: ['oci-config'], run: () => checkSessionToken(state) },
  ];
}

const SETTING_KEYS_SHOWN = ['vault.vault_id', 'vault.region', 'vault.endpoint', 'auth.method', 'auth.config_file', 'auth.profile'];

async function checkSettings(state: DoctorState): Promise<CheckOutcome> {
  const { settings, sources, files, warnings } = await state.loaded();
  const bySource = new Map<string, string[]>();
  for (const k of SETTING_KEYS_SHOWN) {
    if (sources[k] && sources[k] !== 'default') bySource.set(sources[k], [...(bySource.get(sources[k]) ?? []), k]);
  }
  const from = [...bySource].map(([source, keys]) => `${keys.join(', ')} from ${source}`);
  const detail = `${files.length ? `read ${files.join(', ')}` : 'no resolver.yaml found'}${from.length ? `; ${from.join('; ')}` : ''}`;
  if (!settings.vault.vault_id) {
    return fail(`vault.vault_id is not set (${detail})`, 'run `docker vaultmcp setup`, or set vault.vault_id in resolver.yaml or OCI_VAULT_ID');
  }
  if (warnings.length) return warn(`${detail}; ${warnings.length} warning(s): ${warnings[0]}`, 'remove the keys named in the warning');
  return pass(detail);
}

async function checkOciConfig(state: DoctorState): Promise<CheckOutcome> {
  const loaded = await state.loadedOrUndefined();
  if (!loaded) return skip('skipped: the settings could not be loaded');
  const { settings } = loaded;
  const { method, config_file: file, profile } = settings.auth;
  if (method !== 'api_key' && method !== 'session_token') return skip(`auth.method is ${method}: no OCI config file is used`);
  const values = await state.profile();
  const required = method === 'session_token' ? ['tenancy', 'key_file', 'security_token_file'] : ['tenancy', 'user', 'fingerprint', 'key_file'];
  const missing = required.filter((k) => !values[k]);
  if (missing.length) return fail(`${file} [${profile}] has no ${missing.join(', ')}`, `add ${missing.map((k) => `${k}=`).join(' ')} to [${profile}] or run \`docker vaultmcp setup\``);
  const region = settings.vault.region ?? values.region;
  if (!region && !settings.vault.endpoint) return fail(`${file} [${profile}]: no region`, `add region= to [${profile}] or set vault.region`);
  return pass(`${file} [${profile}], ${method}, region ${region ?? '(endpoint override)'}`);
}

async function checkKeyFile(state: DoctorState): Promise<CheckOutcome> {
  const { settings } = await state.loaded();
  const values = await state.profile();
  const keyFile = state.expandHome(values.key_file!);
  let st;
  try {
    st = await stat(keyFile);
    await access(keyFile, constants.R_OK);
  } catch (err) {
    return fail(`cannot read the API key file ${keyFile} (${(err as NodeJS.ErrnoException).code})`, `fix key_file= in [${settings.auth.profile}] of ${settings.auth.config_file}`);
  }
  const mode = st.mode & 0o777;
  const octal = mode.toString(8).padStart(4, '0');
  if (process.platform !== 'win32') {
    if (mode & 0o007) return fail(`${keyFile} has mode ${octal}: other users can read the private key`, `chmod 600 ${keyFile}`);
    if (mode & 0o070) return warn(`${keyFile} has mode ${octal}: the group can read the private key`, `chmod 600 ${keyFile}`);
  }
  return pass(`${keyFile}, mode ${octal}`);
}

async function checkFingerprint(state: DoctorState): Promise<CheckOutcome> {
  const { settings } = await state.loaded();
  const values = await state.profile();
  const keyFile = state.expandHome(values.key_file!);
  const pem = await readFile(keyFile, 'utf8');
  let passphrase = values.pass_phrase || undefined;
  if (isEncryptedPem(pem) && !passphrase) {
    passphrase = await state.passphraseFromKeychain(settings.auth.profile);
    passphrase ??= state.ctx.env.OCI_CLI_PASSPHRASE || undefined;
    if (!passphrase) {
      return fail(`${keyFile} is encrypted and no passphrase was found (profile, keychain, OCI_CLI_PASSPHRASE)`, 'store the passphrase in the keychain with `docker vaultmcp setup`');
    }
  }
  const actual = keyFingerprint(pem, passphrase);
  const declared = (values.fingerprint ?? '').toLowerCase();
  if (settings.auth.method === 'session_token' && !declared) return pass(`session key ${actual}`);
  if (actual !== declared) {
    return fail(`fingerprint= says ${declared || '(none)'} but ${keyFile} has ${actual}`, `set fingerprint=${actual} in [${settings.auth.profile}] if that is the key uploaded to OCI, else fix key_file=`);
  }
  return pass(`${actual}${isEncryptedPem(pem) ? ' (encrypted key, passphrase found)' : ''}`);
}

/** Minutes before expiry from which a session token is reported as expiring soon (warn). */
const SESSION_WARN_MS = 10 * 60_000;

/**
 * session_token profiles: the token file's JWT `exp` (and `sess_exp`, the refresh limit). Expired → fail with
 * `oci session refresh` or `oci session authenticate`; within 10 minutes of expiry → warn; other methods → skip.
 */
async function checkSessionToken(state: DoctorState): Promise<CheckOutcome> {
  const { settings } = await state.loaded();
  const { method, profile } = settings.auth;
  if (method !== 'session_token') return skip(`auth.method is ${method}: no session token`);
  const values = await state.profile();
  const file = state.expandHome(values.security_token_file!);
  let token: string;
  try {
    token = await readFile(file, 'utf8');
  } catch (err) {
    return fail(`cannot read the session token file ${file} (${(err as NodeJS.ErrnoException).code})`, `run \`oci session authenticate --profile-name ${profile}\``);
  }
  const now = state.ctx.now();
  const times = sessionTokenTimes(token);
  if (!times) return warn(`${file} is not a JWT with an expiry: cannot tell when it expires`, `run \`oci session authenticate --profile-name ${profile}\` if requests are refused (401)`);
  const when = describeExpiry(times, now);
  if (times.expiresAt <= now) return fail(`the session token of profile ${profile} ${when}`, sessionTokenFix(profile, times, now));
  if (times.expiresAt - now < SESSION_WARN_MS) return warn(`the session token of profile ${profile} ${when} (in ${Math.ceil((times.expiresAt - now) / 60_000)} min)`, sessionTokenFix(profile, times, now));
  return pass(`the session token of profile ${profile} ${when}`);
}
