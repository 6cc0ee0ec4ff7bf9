import type { AppContext } from '../../core/context.js';
import { dockerChecks } from './docker.js';
import { localChecks } from './local.js';
import { principalChecks } from './principal.js';
import type { DoctorCheck } from './runner.js';
import { serviceChecks } from './services.js';
import { settingsAndOciChecks } from './settings-and-oci.js';
import { DoctorState, type DoctorOptions } from './state.js';
import { vaultChecks } from './vault.js';

export { dockerPluginDirs } from './docker.js';
export { SKEW_FAIL_SECONDS, SKEW_WARN_SECONDS } from './vault.js';
export type { DoctorOptions } from './state.js';

/**
 * Builds doctor's checks for this context as data (see runner.ts), area by area: settings-and-oci.ts, vault.ts,
 * local.ts, services.ts (per `--service`), docker.ts. They share one lazily loaded DoctorState (settings, one
 * VaultAccess, the services' run plans and resolved secrets) so nothing is loaded twice; secret values stay in
 * memory for the MCP handshake and are never part of any result.
 *
 * Check ids, in this order: settings, oci-config, key-file, key-fingerprint, session-token, auth, clock-skew, vault,
 * master-key, principal (principal.ts), keychain, cache, service:<name>:definition, service:<name>:command,
 * service:<name>:secrets,
 * service:<name>:handshake, docker-cli, docker-plugin.
 */
export function buildDoctorChecks(ctx: AppContext, options: DoctorOptions = {}): DoctorCheck[] {
  const state = new DoctorState(ctx, options);
  return [
    ...settingsAndOciChecks(state),
    ...vaultChecks(state),
    ...principalChecks(state),
    ...localChecks(state),
    ...(options.services ?? []).flatMap((name) => serviceChecks(state, name, options.handshakeTimeoutMs)),
    ...dockerChecks(state),
  ];
}
