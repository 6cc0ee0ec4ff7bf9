import { randomBytes } from 'node:crypto';
import { VaultError } from '../../core/errors.js';
import type { CheckOutcome, DoctorCheck } from './runner.js';
import { fail, pass, skip, warn, type DoctorState } from './state.js';import { describeExpiry, sessionTokenFix } from '../../core/vault/session-token.js';


/** Clock skew thresholds, seconds. */
export const SKEW_WARN_SECONDS = 60;
export const SKEW_FAIL_SECONDS = 300;

/**
 * Doctor's checks of the vault, in display order: auth (one signed request for a random probe name: a 404 proves
 * the signature was accepted), clock-skew (the vault's Date header against ours; OCI rejects signatures more than
 * 5 minutes off), vault (GetVault: reachable and ACTIVE), master-key (GetKey on the vault's management endpoint:
 * ENABLED). Every OCI request goes through the run's one VaultAccess under the `probe` call profile, with the
 * check's signal.
 */
export function vaultChecks(state: DoctorState): DoctorCheck[] {
  return [
    { id: 'auth', title: 'Authentication (a signed vault call)', needs: ['settings'], runAfterFailure: true, run: (s) => checkAuth(state, s) },
    { id: 'clock-skew', title: 'Clock skew against the vault', needs: ['settings'], runAfterFailure: true, run: (s) => checkClockSkew(state, s) },
    { id: 'vault', title: 'Vault reachable', needs: ['auth'], run: (s) => checkVault(state, s) },
    { id: 'master-key', title: 'Master encryption key usable for upload', needs: ['vault'], run: (s) => checkMasterKey(state, s) },
  ];
}

/** A failure of `access.call` as a VaultError; anything else (ConfigError from building the clients) is rethrown for the runner to report. */
function vaultErrorOf(err: unknown): VaultError {
  if (err instanceof VaultError) return err;
  throw err;
}

async function checkAuth(state: DoctorState, signal: AbortSignal): Promise<CheckOutcome> {
  const loaded = await state.loadedOrUndefined();
  if (!loaded) return skip('skipped: the settings could not be loaded');
  const vaultId = loaded.settings.vault.vault_id;
  if (!vaultId) return skip('vault.vault_id is not set');
  const access = await state.access();
  const who = (await access.clients()).auth?.description ?? 'the configured credentials';
  const probe = `vaultmcp-doctor-probe-${randomBytes(4).toString('hex')}`;
  try {
    await access.call('probe', 'a probe secret', async (c) => (await c.secrets()).getSecretBundleByName({ secretName: probe, vaultId }), { signal });
    return pass(`${who}: signed request accepted`);
  } catch (err) {
    const e = vaultErrorOf(err);
    if (e.kind === 'not_found') return pass(`${who}: signed request accepted (404 for a probe name, as expected)`);
    if (e.kind === 'forbidden') return warn(`${who}: authenticated, but not authorized (403)`, e.hint ?? '');
    const session = (await access.clients()).auth?.session;
    if (e.kind === 'auth' && session) {
      // under session_token a 401 is an expired or revoked session token, not an API key problem
      const expiry = session.times ? `; the session token ${describeExpiry(session.times, state.ctx.now())}` : '';
      return fail(`the vault rejected the session token of ${who} (401)${expiry}`, sessionTokenFix(session.profile, session.times, state.ctx.now()));
    }
    if (e.kind === 'auth') {
      return fail(`the vault rejected the signature of ${who} (401)`, 'check that the API key (key_file) is the one uploaded for this user, the fingerprint, and the clock (see clock-skew)');
    }
    return fail(e.message, e.hint ?? '');
  }
}

/** Base URL of the Secrets API: vault.endpoint, else the SDK's regional endpoint. */
async function secretsEndpoint(state: DoctorState): Promise<string | undefined> {
  const { settings } = await state.loaded();
  if (settings.vault.endpoint) return settings.vault.endpoint;
  try {
    return (await (await (await state.access()).clients()).secrets()).endpoint.replace(/\/20190301\/?$/, '');
  } catch {
    return settings.vault.region ? `https://secrets.vaults.${settings.vault.region}.oci.oraclecloud.com` : undefined;
  }
}

async function checkClockSkew(state: DoctorState, signal: AbortSignal): Promise<CheckOutcome> {
  if (!(await state.loadedOrUndefined())) return skip('skipped: the settings could not be loaded');
  const endpoint = await secretsEndpoint(state);
  if (!endpoint) return skip('no vault endpoint known (no region)');
  const t0 = Date.now();
  let dateHeader: string | null;
  try {
    // Unsigned, and so not an SDK call: any answer (401 included) carries the server's Date header.
    const res = await fetch(`${endpoint}/20190301/secretbundles/doctor-clock-probe`, { signal });
    await res.body?.cancel();
    dateHeader = res.headers.get('date');
  } catch {
    return fail(`cannot reach ${endpoint}`, 'check the network, proxy settings and vault.region / vault.endpoint');
  }
  const t1 = Date.now();
  const server = dateHeader ? Date.parse(dateHeader) : NaN;
  if (Number.isNaN(server)) return skip(`${endpoint} sent no Date header`);
  // The Date header has 1 s resolution: allow for it and for the round trip.
  const local = (t0 + t1) / 2;
  const skewS = Math.max(0, Math.abs(server - local) - 1000 - (t1 - t0) / 2) / 1000;
  const dir = server > local ? 'behind' : 'ahead of';
  const detail = `local clock is ${skewS.toFixed(0)} s ${dir} the vault`;
  const warnAt = state.options.skewWarnSeconds ?? SKEW_WARN_SECONDS;
  const failAt = state.options.skewFailSeconds ?? SKEW_FAIL_SECONDS;
  if (skewS > failAt) return fail(`${detail}: OCI rejects signatures beyond 5 minutes`, 'synchronise the system clock (e.g. `sudo timedatectl set-ntp true`)');
  if (skewS > warnAt) return warn(detail, 'synchronise the system clock (e.g. `sudo timedatectl set-ntp true`) before it reaches 5 minutes');
  return pass(skewS < 1 ? 'within 1 s' : detail);
}

async function checkVault(state: DoctorState, signal: AbortSignal): Promise<CheckOutcome> {
  const { settings } = await state.loaded();
  const access = await state.access();
  const vaultId = settings.vault.vault_id!;
  const t0 = performance.now();
  try {
    const { vault } = await access.call('probe', `vault ${vaultId}`, async (c) => (await c.kmsVaults()).getVault({ vaultId }), { signal });
    const ms = Math.round(performance.now() - t0);
    state.managementEndpoint = vault.managementEndpoint;
    if (vault.lifecycleState !== 'ACTIVE') {
      return fail(`vault '${vault.displayName}' is ${vault.lifecycleState}`, 'use an ACTIVE vault: run `docker vaultmcp setup` to pick one');
    }
    return pass(`'${vault.displayName}' ACTIVE, ${ms} ms`);
  } catch (err) {
    const e = vaultErrorOf(err);
    if (e.kind === 'not_found' || e.kind === 'forbidden') {
      return fail(`vault ${vaultId} not found or not authorized (${e.status})`, 'check vault.vault_id and vault.region (`docker vaultmcp setup` lists your vaults), or grant "read vaults" on its compartment');
    }
    return fail(e.message, e.hint ?? '');
  }
}

async function checkMasterKey(state: DoctorState, signal: AbortSignal): Promise<CheckOutcome> {
  const { settings } = await state.loaded();
  const keyId = settings.vault.key_id;
  if (!keyId) return skip('vault.key_id is not set: only `secret upload` of new secrets needs it');
  const endpoint = state.managementEndpoint;
  if (!endpoint && !settings.vault.endpoint) return skip('the vault did not report a management endpoint');
  const access = await state.access();
  try {
    const { key } = await access.call('probe', `key ${keyId}`, async (c) => (await c.kmsManagement(endpoint ?? '')).getKey({ keyId }), { signal });
    if (key.lifecycleState !== 'ENABLED') return fail(`key '${key.displayName}' is ${key.lifecycleState}`, 'enable the key in the OCI console or pick another with `docker vaultmcp setup`');
    return pass(`'${key.displayName}' ENABLED`);
  } catch (err) {
    const e = vaultErrorOf(err);
    if (e.kind === 'not_found' || e.kind === 'forbidden') {
      return fail(`key ${keyId} not found in the vault or not authorized (${e.status})`, 'check vault.key_id (`docker vaultmcp setup` lists the vault\'s keys), or grant "use keys"');
    }
    return fail(e.message, e.hint ?? '');
  }
}
