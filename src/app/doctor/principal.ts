import { VaultError } from '../../core/errors.js';
import type { DoctorCheck } from './runner.js';
import { fail, pass, skip, type DoctorState } from './state.js';

/** Methods whose credentials are a session token the platform issues (core/vault/principals.ts). */
const PRINCIPAL_METHODS = new Set(['instance_principal', 'resource_principal', 'oke_workload_identity']);

/**
 * Doctor's `principal` check: names the auth method in use and, for instance / resource / OKE workload principals,
 * obtains a session token through the run's one VaultAccess and shows who it names (instance or resource OCID,
 * tenancy) and when it expires, never the token. For api_key and session_token it only names the method and
 * profile (the `auth` check proves them).
 */
export function principalChecks(state: DoctorState, now: () => number = Date.now): DoctorCheck[] {
  return [
    {
      id: 'principal',
      title: 'Principal identity',
      needs: ['settings'],
      runAfterFailure: true,
      async run() {
        const loaded = await state.loadedOrUndefined();
        if (!loaded) return skip('skipped: the settings could not be loaded');
        const { method, profile } = loaded.settings.auth;
        if (!PRINCIPAL_METHODS.has(method)) return skip(`auth.method is ${method} (profile ${profile}): no principal`);
        try {
          const auth = (await (await state.access()).clients()).auth;
          const who = await auth?.identity?.();
          if (!who) return fail(`${method}: no identity`, 'run `docker vaultmcp doctor` again with VAULTMCP_DEBUG=1');
          const left = who.expiresAt ? Math.round((who.expiresAt.getTime() - now()) / 60_000) : undefined;
          const parts = [
            `${method}: ${who.principalType} principal ${who.principalId ?? '(no id claim)'}`,
            who.tenancyId ? `tenancy ${who.tenancyId}` : undefined,
            who.expiresAt ? `session token valid until ${who.expiresAt.toISOString()}${left !== undefined ? ` (${left} min)` : ''}, renewed when it expires` : undefined,
          ];
          return pass(parts.filter(Boolean).join(', '));
        } catch (err) {
          if (err instanceof VaultError) return fail(`${method}: ${err.message}`, err.hint ?? '');
          throw err;
        }
      },
    },
  ];
}
