import type { IdentityClient } from 'oci-identity';
import type { KmsManagementClient, KmsVaultClient } from 'oci-keymanagement';
import type { SecretsClient } from 'oci-secrets';
import type { VaultsClient } from 'oci-vault';
import { ConfigError } from '../errors.js';
import type { Settings } from '../config/settings/index.js';
import { createOciAuth, type AuthEnvironment, type OciAuth, type PassphraseLookup } from './auth.js';
import { loadOciCommon } from './sdk.js';
import { installFetchHooks } from './transport.js';

/**
 * OCI SDK clients configured the way every part of docker vaultmcp needs them: SDK retry and circuit breaker
 * OFF (our cockatiel policy decides), `vault.endpoint` applied after construction (the constructor's region
 * would overwrite it otherwise; reference/oci-api.md §5), fetch hooks installed (per-call abort, Retry-After).
 * Clients are created on first use; the SDK packages are imported lazily.
 */
export interface OciClients {
  auth: OciAuth;
  /** Secrets retrieval API 20190301 (secret bundles). */
  secrets(): Promise<SecretsClient>;
  /** Vault secret management API 20180608 (create, update, list, versions, deletion). */
  vaults(): Promise<VaultsClient>;
  /** KMS vaults (list/get vaults), for setup and doctor. */
  kmsVaults(): Promise<KmsVaultClient>;
  /** KMS keys of one vault; `managementEndpoint` comes from the vault (ignored when vault.endpoint is set). */
  kmsManagement(managementEndpoint: string): Promise<KmsManagementClient>;
  /** Identity (compartments, tenancy), for setup and doctor. */
  identity(): Promise<IdentityClient>;
}

/**
 * Builds the clients for `settings`.
 * @param env environment variables and home directory of this invocation (auth reads OCI_CLI_PASSPHRASE, `~/`)
 * @throws ConfigError when neither a region nor vault.endpoint is known; the errors of `createOciAuth`
 */
export async function createOciClients(settings: Settings, env: AuthEnvironment, options: { lookupPassphrase?: PassphraseLookup } = {}): Promise<OciClients> {
  const common = await loadOciCommon();
  installFetchHooks();
  const auth = await createOciAuth(settings, env, options.lookupPassphrase);
  const endpointOverride = settings.vault.endpoint?.replace(/\/+$/, '');
  if (!auth.region && !endpointOverride) {
    throw new ConfigError('no OCI region is configured', {
      hint: 'set vault.region in resolver.yaml, region= in the OCI config profile, or OCI_REGION',
    });
  }
  const clientConfiguration = {
    retryConfiguration: common.NoRetryConfigurationDetails,
    circuitBreaker: new common.CircuitBreaker({ disableClientCircuitBreaker: true } as never),
  };
  const params = { authenticationDetailsProvider: auth.provider };

  const configure = <C extends { endpoint: string }>(client: C, endpoint?: string): C => {
    if (auth.region && 'regionId' in client) (client as unknown as { regionId: string }).regionId = auth.region;
    const target = endpointOverride ?? endpoint;
    if (target) client.endpoint = target; // after the region: setting a region overwrites the endpoint
    return client;
  };
  const once = <T>(make: () => Promise<T>): (() => Promise<T>) => {
    let value: Promise<T> | undefined;
    return () => (value ??= make());
  };

  return {
    auth,
    secrets: once(async () => {
      const { SecretsClient } = await import('oci-secrets');
      return configure(new SecretsClient(params, clientConfiguration));
    }),
    vaults: once(async () => {
      const { VaultsClient } = await import('oci-vault');
      return configure(new VaultsClient(params, clientConfiguration));
    }),
    kmsVaults: once(async () => {
      const { KmsVaultClient } = await import('oci-keymanagement');
      return configure(new KmsVaultClient(params, clientConfiguration));
    }),
    kmsManagement: async (managementEndpoint: string) => {
      const { KmsManagementClient } = await import('oci-keymanagement');
      return configure(new KmsManagementClient(params, clientConfiguration), managementEndpoint);
    },
    identity: once(async () => {
      const { IdentityClient } = await import('oci-identity');
      return configure(new IdentityClient(params, clientConfiguration));
    }),
  };
}
