/**
 * Test helper: a fresh OCI Vault emulator in a temp state directory, plus typed access to its admin API
 * (src/emulator/admin.ts documents the wire contract). Use `info.ociConfigFile` / `info.resolverConfig` to
 * point the SDK or our CLI at it; `close()` also removes the temp directory.
 *
 *   const emu = await startTestEmulator({ seed: { 'github-token': 'ghp_x' } });
 *   await emu.admin.faults({ status: 503, count: 2, path: 'getSecretBundleByName' });
 *   ...
 *   await emu.close();
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startVaultEmulator, type EmulatorInfo, type FaultSpec, type VaultEmulator } from '../../src/emulator/index.js';

export interface TestEmulator {
  info: EmulatorInfo;
  /** same as info.endpoint */
  url: string;
  /** the state directory (removed by close) */
  stateDir: string;
  /** in-process handle: store, faults, stats, keys, and the user's private key (ids.privateKeyPem) */
  emulator: VaultEmulator;
  admin: {
    /** POST /_emulator/faults; returns the fault id */
    faults(body: FaultSpec): Promise<number>;
    /** DELETE /_emulator/faults (releases hung requests) */
    clearFaults(): Promise<void>;
    /** GET /_emulator/stats */
    stats(): Promise<{ requests: number; byOperation: Record<string, number> }>;
    /** DELETE /_emulator/stats */
    resetStats(): Promise<void>;
    /** DELETE /_emulator/secrets/NAME: the secret disappears (later reads → 404) */
    deleteSecret(name: string): Promise<void>;
    /** POST /_emulator/secrets: create, or add a CURRENT version; returns the secret OCID and version number */
    putSecret(name: string, value: string): Promise<{ id: string; versionNumber: number }>;
    /** POST /_emulator/keys: trust another signing key */
    registerKey(keyId: string, publicKeyPem: string): Promise<void>;
  };
  close(): Promise<void>;
}

/**
 * Starts an emulator on a random port with a fresh temp state directory.
 * @param opts.seed secrets to create (name → utf-8 value); opts.latencyMs delay per API request (ms)
 */
export async function startTestEmulator(opts: { seed?: Record<string, string>; latencyMs?: number; region?: string } = {}): Promise<TestEmulator> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-test-emu-'));
  const emulator = await startVaultEmulator({ port: 0, stateDir, seed: opts.seed, latencyMs: opts.latencyMs, region: opts.region });
  const url = emulator.info.endpoint;

  async function call(method: string, p: string, body?: unknown): Promise<unknown> {
    const res = await fetch(url + p, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator admin ${method} ${p} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  return {
    info: emulator.info,
    url,
    stateDir,
    emulator,
    admin: {
      faults: async (body) => ((await call('POST', '/_emulator/faults', body)) as { id: number }).id,
      clearFaults: async () => void (await call('DELETE', '/_emulator/faults')),
      stats: async () => (await call('GET', '/_emulator/stats')) as { requests: number; byOperation: Record<string, number> },
      resetStats: async () => void (await call('DELETE', '/_emulator/stats')),
      deleteSecret: async (name) => void (await call('DELETE', `/_emulator/secrets/${encodeURIComponent(name)}`)),
      putSecret: async (name, value) => (await call('POST', '/_emulator/secrets', { name, value })) as { id: string; versionNumber: number },
      registerKey: async (keyId, publicKeyPem) => void (await call('POST', '/_emulator/keys', { keyId, publicKeyPem })),
    },
    async close() {
      await emulator.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * Real OCI SDK clients pointed at an emulator: SDK retries and circuit breaker OFF (oci-api.md §5), endpoint
 * set after construction. Loaded lazily so tests that do not need the SDK do not pay for it.
 */
export async function sdkClients(info: EmulatorInfo) {
  const common = await import('oci-common');
  const { SecretsClient } = await import('oci-secrets');
  const { VaultsClient } = await import('oci-vault');
  const { KmsVaultClient, KmsManagementClient } = await import('oci-keymanagement');
  const { IdentityClient } = await import('oci-identity');
  const auth = new common.ConfigFileAuthenticationDetailsProvider(info.ociConfigFile, info.profile);
  const config = () => ({
    retryConfiguration: common.NoRetryConfigurationDetails,
    circuitBreaker: new common.CircuitBreaker({ disableClientCircuitBreaker: true }),
  });
  const secrets = new SecretsClient({ authenticationDetailsProvider: auth }, config());
  secrets.endpoint = info.endpoint;
  const vaults = new VaultsClient({ authenticationDetailsProvider: auth }, config());
  vaults.endpoint = info.endpoint;
  const kmsVault = new KmsVaultClient({ authenticationDetailsProvider: auth }, config());
  kmsVault.endpoint = info.endpoint;
  const kmsManagement = new KmsManagementClient({ authenticationDetailsProvider: auth }, config());
  kmsManagement.endpoint = info.endpoint;
  const identity = new IdentityClient({ authenticationDetailsProvider: auth }, config());
  identity.endpoint = info.endpoint;
  return { common, auth, secrets, vaults, kmsVault, kmsManagement, identity };
}

/**
 * The OCI SDK's retrier always console.warn()s failures ("Request cannot be retried…", oci-api.md §3), even
 * for expected 4xx in tests. Call once per test file to drop those lines; other warnings pass through.
 */
export function quietSdkRetryWarnings(): void {
  const original = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    const first = String(args[0] ?? '');
    if (/^(Request cannot be retried|All retry attempts have exhausted|Request failed with Exception)/.test(first)) return;
    original(...args);
  };
}

/**
 * A resolver.yaml for `info`'s emulator: its vault (region, vault, compartment, key, endpoint) and its API-key
 * profile, then `extra` (YAML lines such as `cache: { enabled: false }`), so tests state only what they vary.
 * @returns the YAML text, ending in a newline
 */
export function emulatorResolverYaml(info: EmulatorInfo, ...extra: string[]): string {
  return [
    `vault: { region: ${info.region}, vault_id: ${info.vaultId}, compartment_id: ${info.compartmentId}, key_id: ${info.keyId}, endpoint: ${info.endpoint} }`,
    `auth: { method: api_key, config_file: ${JSON.stringify(info.ociConfigFile)}, profile: ${info.profile} }`,
    ...extra,
    '',
  ].join('\n');
}
