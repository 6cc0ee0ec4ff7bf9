/**
 * Local OCI Vault emulator: public API. `startVaultEmulator` prepares a state directory (signing key, OCI
 * config, resolver.yaml, stable OCIDs) and serves the Secrets, Vault, KMS and Identity subset of
 * reference/oci-api.md on 127.0.0.1, verifying every request signature (§4). See admin.ts for the
 * `/_emulator` test API and store.ts for the behaviour choices the reference leaves open.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { RequestStats } from './admin.js';
import { FaultInjector } from './faults.js';
import { createEmulatorServer } from './server.js';
import { KeyRegistry } from './signature.js';
import { loadOrCreateIds, loadOrCreateSigningKey, prepareStateDir, writeClientFiles, writeSecure, type EmulatorIds } from './state-dir.js';
import { SECRET_NAME_PATTERN, SecretStore, type StoreSnapshot } from './store.js';
import type { Principals, PrincipalsInfo } from './principals/index.js';
import type { EmulatorClock } from './principals/tokens.js';

export { RequestStats } from './admin.js';
export { FaultInjector, type FaultSpec } from './faults.js';
export { KeyRegistry, signRequest, verifyRequest } from './signature.js';
export { SecretStore, MAX_CONTENT_BYTES, SECRET_NAME_PATTERN } from './store.js';
export { keyFingerprint } from './state-dir.js';
export type { PrincipalsInfo } from './principals/index.js';

/** What a client needs to talk to a running emulator (also the JSON line `dev vault` prints). */
export interface EmulatorInfo {
  /** base URL, e.g. "http://127.0.0.1:40123" (no trailing slash; set it as `client.endpoint`) */
  endpoint: string;
  region: string;
  tenancyId: string;
  compartmentId: string;
  vaultId: string;
  keyId: string;
  /** absolute path of the generated OCI config file (profile DEFAULT) */
  ociConfigFile: string;
  profile: string;
  /** absolute path of the generated resolver.yaml */
  resolverConfig: string;
  /** with `principals`: the metadata service, federation and proxymux endpoints, CA, token files, RP environment */
  principals?: PrincipalsInfo;
}

export interface VaultEmulatorOptions {
  /** TCP port; 0 (default) = any free port */
  port?: number;
  /** listen address; default 127.0.0.1 */
  host?: string;
  /** directory for keys, config files, OCID seed and (with persist) state.json; created 0700 if missing */
  stateDir: string;
  /** secrets to create at start, name → utf-8 value; an existing secret with another value gets a new version */
  seed?: Record<string, string>;
  /** delay added to every API request, ms (requests are delayed concurrently) */
  latencyMs?: number;
  /** default us-ashburn-1 */
  region?: string;
  /** keep secrets in <stateDir>/state.json across restarts (default: memory only) */
  persist?: boolean;
  /** one line per API request (no secret values) */
  log?: (line: string) => void;
  /** most items one list page holds, whatever `limit` asks (default 3: OCI pages, so clients must too) */
  maxPageSize?: number;
  /**
   * Also emulate the platform's principals (principals/index.ts): the instance metadata service on
   * `imdsListen` (default 169.254.169.254:80), X.509 federation, a v2.2 resource principal, the OKE proxymux.
   */
  principals?: { imdsListen?: string; tokenTtlSeconds?: number };
  /** ms a client has to send a request's headers (default 10 000) and its whole request (default 30 000) */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** A running emulator. */
export interface VaultEmulator {
  info: EmulatorInfo;
  /** the emulator's user (for tests that need more than the config file) */
  ids: EmulatorIds & { userId: string; fingerprint: string; privateKeyPem: string };
  store: SecretStore;
  faults: FaultInjector;
  stats: RequestStats;
  keys: KeyRegistry;
  /** list paging; tests may lower `maxPageSize` (e.g. to 1) to count one request per item */
  paging: { maxPageSize: number };
  /** with `principals`: the running services (token clock, service-account rotation) */
  principals?: Principals;
  /** Stops the server (hung requests are dropped) and flushes state.json when persisting. */
  close(): Promise<void>;
}

/**
 * Starts the emulator.
 * @throws Error with code EADDRINUSE when the port is taken; Error for an invalid seed name or unreadable state
 */
/** Default most items per list page: small, so every listing in tests and the demo really pages. */
export const DEFAULT_MAX_PAGE_SIZE = 3;

export async function startVaultEmulator(o: VaultEmulatorOptions): Promise<VaultEmulator> {
  const region = o.region ?? 'us-ashburn-1';
  const host = o.host ?? '127.0.0.1';
  const stateDir = await prepareStateDir(o.stateDir);
  const key = await loadOrCreateSigningKey(stateDir);
  const ids = await loadOrCreateIds(stateDir, region);

  const stateFile = path.join(stateDir, 'state.json');
  let writes: Promise<void> = Promise.resolve();
  const store = new SecretStore({
    region,
    onChange: o.persist
      ? () => {
          const snapshot = JSON.stringify(store.snapshot());
          writes = writes.then(() => writeSecure(stateFile, snapshot)).catch(() => undefined);
        }
      : undefined,
  });
  if (o.persist && existsSync(stateFile)) {
    try {
      store.load(JSON.parse(await readFile(stateFile, 'utf8')) as StoreSnapshot);
    } catch (err) {
      // not err.message: JSON.parse quotes the text around the error, and state.json holds the secret values
      throw new Error(`cannot read emulator state ${stateFile} (${(err as NodeJS.ErrnoException).code ?? (err instanceof SyntaxError ? 'not valid JSON' : 'invalid content')})`);
    }
  }
  for (const [name, value] of Object.entries(o.seed ?? {})) {
    if (!SECRET_NAME_PATTERN.test(name)) throw new Error(`invalid secret name in seed: ${JSON.stringify(name)}`);
    store.upsert({ compartmentId: ids.compartmentId, vaultId: ids.vaultId, keyId: ids.keyId }, name, Buffer.from(value, 'utf8').toString('base64'));
  }

  let clock: EmulatorClock | undefined;
  if (o.principals) clock = new (await import('./principals/tokens.js')).EmulatorClock();
  const keys = new KeyRegistry(clock ? () => clock.now() : undefined);
  let principals: Principals | undefined;
  keys.register(`${ids.tenancyId}/${ids.userId}/${key.fingerprint}`, key.publicKey);
  const faults = new FaultInjector();
  const stats = new RequestStats();
  let info: EmulatorInfo | undefined;
  let endpoint = '';
  const paging = { maxPageSize: o.maxPageSize ?? DEFAULT_MAX_PAGE_SIZE };
  const emulator = createEmulatorServer({
    store,
    ids,
    keys,
    faults,
    stats,
    latencyMs: o.latencyMs ?? 0,
    log: o.log,
    ...(o.headersTimeoutMs !== undefined ? { headersTimeoutMs: o.headersTimeoutMs } : {}),
    ...(o.requestTimeoutMs !== undefined ? { requestTimeoutMs: o.requestTimeoutMs } : {}),
    allowedHosts: host === '0.0.0.0' || host === '::' || host === '127.0.0.1' ? [] : [host.includes(':') ? `[${host.toLowerCase()}]` : host.toLowerCase()],
    endpoint: () => endpoint,
    paging,
    info: () => info,
    extraRoutes: () => principals?.routes ?? [],
    extraAdmin: (method, pathname, body) => principals?.admin(method, pathname, body) ?? Promise.resolve(undefined),
  });
  await new Promise<void>((resolve, reject) => {
    emulator.server.once('error', reject);
    emulator.server.listen(o.port ?? 0, host, () => {
      emulator.server.off('error', reject);
      resolve();
    });
  });
  const port = (emulator.server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  endpoint = `http://${urlHost}:${port}`;
  const files = await writeClientFiles(stateDir, ids, key, endpoint);
  if (o.principals && clock) {
    const { startPrincipals } = await import('./principals/index.js');
    try {
      principals = await startPrincipals({ stateDir, ids, keys, stats, clock, endpoint, log: o.log, ...o.principals });
    } catch (err) {
      await emulator.close();
      throw err;
    }
  }
  info = {
    endpoint,
    region,
    tenancyId: ids.tenancyId,
    compartmentId: ids.compartmentId,
    vaultId: ids.vaultId,
    keyId: ids.keyId,
    ociConfigFile: files.ociConfigFile,
    profile: 'DEFAULT',
    resolverConfig: files.resolverConfig,
    ...(principals ? { principals: principals.info } : {}),
  };
  return {
    info,
    ids: { ...ids, fingerprint: key.fingerprint, privateKeyPem: key.privateKeyPem },
    store,
    faults,
    stats,
    keys,
    paging,
    principals,
    async close() {
      await principals?.close();
      await emulator.close();
      await writes;
    },
  };
}
