/**
 * The small slice of Identity (20160918) and KMS (20180608) the setup wizard and doctor use, as served by the
 * SDK packages oci-identity and oci-keymanagement 2.139.1 (paths and required fields read in their
 * lib/client.js and models). One tenancy, one compartment, one vault (DEFAULT type, ACTIVE) whose
 * managementEndpoint and cryptoEndpoint are the emulator itself, one AES-256 SOFTWARE key. Keys report
 * lifecycleState ENABLED: the KMS Key model has no ACTIVE state.
 */
import { invalid, missing, notFound, paginate } from './http.js';
import type { Route, RouteEnv } from './routes.js';

/** Fixed creation time of the emulator's identity objects. */
const CREATED = '2024-01-01T00:00:00.000Z';

/** Region key (e.g. IAD) for a region id; unknown ids get their first three letters upper-cased. */
export function regionKey(region: string): string {
  const known: Record<string, string> = {
    'us-ashburn-1': 'IAD',
    'us-phoenix-1': 'PHX',
    'eu-frankfurt-1': 'FRA',
    'uk-london-1': 'LHR',
    'eu-amsterdam-1': 'AMS',
    'ap-tokyo-1': 'NRT',
    'us-sanjose-1': 'SJC',
    'ca-toronto-1': 'YYZ',
  };
  return known[region] ?? region.slice(0, 3).toUpperCase();
}

function compartment(env: RouteEnv): Record<string, unknown> {
  return {
    id: env.ids.compartmentId,
    compartmentId: env.ids.tenancyId,
    name: 'vaultmcp-emulator',
    description: 'Compartment of the local OCI Vault emulator',
    timeCreated: CREATED,
    lifecycleState: 'ACTIVE',
    isAccessible: true,
    freeformTags: {},
    definedTags: {},
  };
}

function vault(env: RouteEnv): Record<string, unknown> {
  return {
    id: env.ids.vaultId,
    compartmentId: env.ids.compartmentId,
    displayName: 'vaultmcp-emulator',
    cryptoEndpoint: env.endpoint(),
    managementEndpoint: env.endpoint(),
    lifecycleState: 'ACTIVE',
    timeCreated: CREATED,
    vaultType: 'DEFAULT',
    wrappingkeyId: `${env.ids.keyId}wrap`,
    isPrimary: true,
    isVaultReplicable: false,
    freeformTags: {},
    definedTags: {},
  };
}

function key(env: RouteEnv, full: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: env.ids.keyId,
    compartmentId: env.ids.compartmentId,
    vaultId: env.ids.vaultId,
    displayName: 'vaultmcp-emulator-key',
    lifecycleState: 'ENABLED',
    timeCreated: CREATED,
    protectionMode: 'SOFTWARE',
    isAutoRotationEnabled: false,
    freeformTags: {},
    definedTags: {},
  };
  return full
    ? { ...base, currentKeyVersion: env.ids.keyVersionId, keyShape: { algorithm: 'AES', length: 32 }, isPrimary: true }
    : { ...base, algorithm: 'AES' };
}

function requireCompartment(query: URLSearchParams): string {
  const c = query.get('compartmentId');
  if (!c) throw missing('compartmentId');
  return c;
}

/** Identity routes, `/20160918/...`. */
export const identityRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/20160918\/compartments$/,
    operation: 'listCompartments',
    handle({ query, env }) {
      const parent = requireCompartment(query);
      const subtree = query.get('compartmentIdInSubtree') === 'true';
      const all = [compartment(env)];
      const items = parent === env.ids.tenancyId || subtree ? all : [];
      return paginate(items, query, env.paging.maxPageSize);
    },
  },
  {
    method: 'GET',
    pattern: /^\/20160918\/compartments\/([^/]+)$/,
    operation: 'getCompartment',
    handle({ params, env }) {
      if (params[0] !== env.ids.compartmentId) throw notFound();
      return { body: compartment(env), headers: { etag: 'emulator-compartment' } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/20160918\/tenancies\/([^/]+)$/,
    operation: 'getTenancy',
    handle({ params, env }) {
      if (params[0] !== env.ids.tenancyId) throw notFound();
      return {
        body: {
          id: env.ids.tenancyId,
          name: 'vaultmcp-emulator',
          description: 'Tenancy of the local OCI Vault emulator',
          homeRegionKey: regionKey(env.ids.region),
          freeformTags: {},
          definedTags: {},
        },
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/20160918\/tenancies\/([^/]+)\/regionSubscriptions$/,
    operation: 'listRegionSubscriptions',
    handle({ params, env }) {
      if (params[0] !== env.ids.tenancyId) throw notFound();
      return {
        body: [{ regionKey: regionKey(env.ids.region), regionName: env.ids.region, status: 'READY', isHomeRegion: true }],
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/20160918\/users\/([^/]+)$/,
    operation: 'getUser',
    handle({ params, env }) {
      if (params[0] !== env.ids.userId) throw notFound();
      return {
        body: {
          id: env.ids.userId,
          compartmentId: env.ids.tenancyId,
          name: 'vaultmcp-emulator-user',
          description: 'User of the local OCI Vault emulator',
          timeCreated: CREATED,
          lifecycleState: 'ACTIVE',
          isMfaActivated: false,
          freeformTags: {},
          definedTags: {},
        },
        headers: { etag: 'emulator-user' },
      };
    },
  },
];

/** KMS vault and key routes, `/20180608/vaults...` and `/20180608/keys...`. */
export const kmsRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/20180608\/vaults$/,
    operation: 'listVaults',
    handle({ query, env }) {
      const c = requireCompartment(query);
      const { wrappingkeyId: _w, isPrimary: _p, isVaultReplicable: _r, ...summary } = vault(env);
      return paginate(c === env.ids.compartmentId ? [summary] : [], query, env.paging.maxPageSize);
    },
  },
  {
    method: 'GET',
    pattern: /^\/20180608\/vaults\/([^/]+)$/,
    operation: 'getVault',
    handle({ params, env }) {
      if (params[0] !== env.ids.vaultId) throw notFound();
      return { body: vault(env), headers: { etag: 'emulator-vault' } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/20180608\/keys$/,
    operation: 'listKeys',
    handle({ query, env }) {
      const c = requireCompartment(query);
      const mode = query.get('protectionMode');
      const algorithm = query.get('algorithm');
      if (mode && !['HSM', 'SOFTWARE', 'EXTERNAL'].includes(mode)) throw invalid('protectionMode must be HSM, SOFTWARE or EXTERNAL');
      const match = c === env.ids.compartmentId && (!mode || mode === 'SOFTWARE') && (!algorithm || algorithm === 'AES');
      return paginate(match ? [key(env, false)] : [], query, env.paging.maxPageSize);
    },
  },
  {
    method: 'GET',
    pattern: /^\/20180608\/keys\/([^/]+)$/,
    operation: 'getKey',
    handle({ params, env }) {
      if (params[0] !== env.ids.keyId) throw notFound();
      return { body: key(env, true), headers: { etag: 'emulator-key' } };
    },
  },
];
