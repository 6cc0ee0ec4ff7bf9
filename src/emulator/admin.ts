/**
 * Admin API of the emulator: unauthenticated, on the same port, under `/_emulator`. Part of our
 * machine-readable contract (tests, benchmarks, the README demo). Admin calls are not counted in stats and
 * are never delayed or faulted. Errors use the OCI shape `{"code","message"}`.
 * Like every request, admin calls must name a loopback Host and carry no foreign Origin (server.ts
 * `localRequest`), so a web page cannot use this unauthenticated API (DNS rebinding, cross-site POST).
 *
 *   POST   /_emulator/faults    body: a fault (below)            → 201 {"id":N}
 *   GET    /_emulator/faults                                     → 200 [{...fault, "id", "remaining"}]
 *   DELETE /_emulator/faults    clears all faults; hung requests are then served normally → 204
 *   GET    /_emulator/stats                                      → 200 {"requests":N,"byOperation":{"getSecretBundleByName":N,…}}
 *   DELETE /_emulator/stats     resets the counters              → 204
 *   POST   /_emulator/secrets   {"name","value"} (utf-8) or {"name","valueBase64"}
 *                               creates the secret in the emulator vault, or adds a new CURRENT version if the
 *                               value differs (reactivating a secret pending deletion)
 *                                                               → 200 {"id","secretName","versionNumber"}
 *   DELETE /_emulator/secrets/NAME   (NAME or secret OCID) removes the secret entirely, as if revoked:
 *                               later reads → 404 NotAuthorizedOrNotFound       → 204, or 404 if absent
 *   POST   /_emulator/keys      {"keyId","publicKeyPem"} trusts another signing key; keyId is
 *                               "<tenancy>/<user>/<fingerprint>" or "ST$<token>"   → 204
 *   GET    /_emulator/info                                       → 200 EmulatorInfo (see index.ts)
 *
 * Fault body (all fields optional, at least one of status/hang/reset/malformed/latencyMs):
 *   {"status":503,"count":2}                  answer 503 ServiceUnavailable twice, then normally
 *   {"status":429,"retryAfter":1,"count":1}   429 TooManyRequests with header Retry-After: 1 (seconds)
 *   {"status":500,"code":"X","message":"m"}   custom error code/message (default code from the status)
 *   {"hang":true}                             never answer until faults are cleared (then served) or the server closes
 *   {"reset":true,"count":1}                  destroy the connection without an answer
 *   {"malformed":true,"count":1}              200 with a body that is not valid JSON
 *   {"latencyMs":200}                         delay the answer by 200 ms (combinable with one action)
 *   "path": "getSecretBundleByName"           only requests of this SDK operation (exact name, case-insensitive)
 *   "path": "/secretbundles/"                 ...or whose raw URL contains this substring
 *   "count": N                                fire N times, then the fault disappears; omitted = until cleared
 * Faults apply before signature verification, in the order posted: latencies add up, the first matching
 * action wins. Operation names are the SDK's: getSecretBundle, getSecretBundleByName, listSecretBundleVersions,
 * createSecret, getSecret, updateSecret, listSecrets, listSecretVersions, getSecretVersion,
 * scheduleSecretDeletion, cancelSecretDeletion, scheduleSecretVersionDeletion, cancelSecretVersionDeletion,
 * listCompartments, getCompartment, getTenancy, getUser, listRegionSubscriptions, listVaults, getVault,
 * listKeys, getKey; "unknown" for unrouted paths.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError, invalid, missing, notFound, parseJsonObject, readBody, type ApiResult } from './http.js';
import { parseFaultSpec, type FaultInjector } from './faults.js';
import type { KeyRegistry } from './signature.js';
import { checkSecretName, currentVersionNumber, type SecretStore } from './store.js';
import type { EmulatorIds } from './state-dir.js';

/** Request counters (GET /_emulator/stats). */
export class RequestStats {
  requests = 0;
  byOperation: Record<string, number> = {};

  /** Counts one API request. */
  count(operation: string): void {
    this.requests++;
    this.byOperation[operation] = (this.byOperation[operation] ?? 0) + 1;
  }

  reset(): void {
    this.requests = 0;
    this.byOperation = {};
  }

  toJSON(): { requests: number; byOperation: Record<string, number> } {
    return { requests: this.requests, byOperation: { ...this.byOperation } };
  }
}

/** What the admin API acts on. */
export interface AdminEnv {
  store: SecretStore;
  ids: EmulatorIds;
  faults: FaultInjector;
  stats: RequestStats;
  keys: KeyRegistry;
  info: () => unknown;
  /** admin routes of optional parts (principals); undefined when the path is not theirs */
  extraAdmin?: (method: string, pathname: string, body: Buffer) => Promise<ApiResult | undefined>;
}

/** Handles one `/_emulator/...` request. @throws ApiError (404 NotFound for unknown admin paths) */
export async function handleAdmin(req: IncomingMessage, pathname: string, env: AdminEnv): Promise<ApiResult> {
  const method = req.method ?? 'GET';
  const body = await readBody(req);
  const route = `${method} ${pathname}`;
  switch (route) {
    case 'POST /_emulator/faults':
      return { status: 201, body: { id: env.faults.add(parseFaultSpec(parseJsonObject(body))) } };
    case 'GET /_emulator/faults':
      return { body: env.faults.list() };
    case 'DELETE /_emulator/faults':
      env.faults.clear();
      return { status: 204 };
    case 'GET /_emulator/stats':
      return { body: env.stats.toJSON() };
    case 'DELETE /_emulator/stats':
      env.stats.reset();
      return { status: 204 };
    case 'GET /_emulator/info':
      return { body: env.info() };
    case 'POST /_emulator/keys': {
      const b = parseJsonObject(body);
      if (typeof b.keyId !== 'string' || !b.keyId) throw missing('keyId');
      if (typeof b.publicKeyPem !== 'string' || !b.publicKeyPem) throw missing('publicKeyPem');
      try {
        env.keys.register(b.keyId, b.publicKeyPem);
      } catch {
        throw invalid('publicKeyPem is not a PEM public key');
      }
      return { status: 204 };
    }
    case 'POST /_emulator/secrets': {
      const b = parseJsonObject(body);
      if (typeof b.name !== 'string') throw missing('name');
      checkSecretName(b.name);
      let content: string;
      if (typeof b.valueBase64 === 'string') content = b.valueBase64;
      else if (typeof b.value === 'string') content = Buffer.from(b.value, 'utf8').toString('base64');
      else throw missing('value');
      const target = { compartmentId: env.ids.compartmentId, vaultId: env.ids.vaultId, keyId: env.ids.keyId };
      const s = env.store.upsert(target, b.name, content);
      return { body: { id: s.id, secretName: s.secretName, versionNumber: currentVersionNumber(s) } };
    }
  }
  const m = /^\/_emulator\/secrets\/([^/]+)$/.exec(pathname);
  if (m && method === 'DELETE') {
    let ref: string;
    try {
      ref = decodeURIComponent(m[1]);
    } catch {
      throw invalid('bad secret name');
    }
    const secret = ref.startsWith('ocid1.') ? env.store.all().find((s) => s.id === ref) : env.store.findByName(env.ids.vaultId, ref);
    if (!secret) throw notFound();
    env.store.remove(secret.id);
    return { status: 204 };
  }
  const extra = await env.extraAdmin?.(method, pathname, body);
  if (extra) return extra;
  throw new ApiError(404, 'NotFound', `no admin route ${route}`);
}
