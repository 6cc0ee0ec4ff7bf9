/**
 * Emulated OCI principals (`dev vault --principals`): what an OCI VM, an OCI Function and an OKE pod get from
 * the platform, so instance, resource and workload principals run end to end against the emulator.
 *
 *  - Instance metadata service v2 (its own HTTP server on `imdsListen`, default 169.254.169.254:80, meant for a
 *    private network namespace): `GET /opc/v2/instance/` (JSON), `/opc/v2/instance/<field>` (e.g. `region`: the
 *    short code, `canonicalRegionName`, `id`, `compartmentId`, `tenantId`), `/opc/v2/identity/cert.pem`,
 *    `key.pem`, `intermediate.pem`. Every request needs `Authorization: Bearer Oracle` (401 otherwise), as on
 *    OCI; `/opc/v1/` is not served (404). The leaf certificate's subject names the instance, its compartment and
 *    tenancy as OCI's does (pki.ts); it is signed by the emulated intermediate.
 *  - X.509 federation (`POST /v1/x509` on the emulator's API port, so `federationEndpoint` is the emulator's
 *    endpoint): the request must be signed with the instance key under keyId `<tenancy>/fed-x509/<sha1 of the
 *    leaf, colon hex>` (oci-common X509FederationClient), carry the served leaf, the intermediate and the new
 *    session public key; the answer `{"token": JWT}` is a session token bound to that key.
 *  - Resource principal v2.2: a session key and an RPST file in the state directory, and the environment that
 *    points the SDK at them (`resourcePrincipalEnv` of the ready line). The RPST is re-issued at half its life.
 *  - OKE workload identity: the proxymux token endpoint (`POST /resourcePrincipalSessionTokens`, HTTPS on
 *    127.0.0.1 with a certificate from the emulated cluster CA, `caFile`), which checks the Kubernetes
 *    service-account token (`Authorization: Bearer`, the current one in `okeTokenFile`) and answers, base64
 *    encoded, `{"token": "ST$<RPST>"}` bound to the `podKey` it was sent.
 *
 * Tokens are trusted by the API (`ST$<token>` keyIds) until they expire on the emulator clock (tokens.ts); the
 * clock and token lifetime can be changed through the admin API (below), so expiry is tested without waiting.
 *
 * Admin API (same rules as admin.ts):
 *   GET  /_emulator/principals                      → PrincipalsInfo
 *   POST /_emulator/principals/clock {"advanceSeconds":N}   move the token clock forward → {"offsetMs"}
 *   POST /_emulator/principals/ttl {"seconds":N}    lifetime of tokens issued from now on → 204
 *   POST /_emulator/principals/rotate-sa-token      write a new service-account token, reject the old → 204
 *   POST /_emulator/principals/rpst                 re-issue the RPST file now → 204
 * Operations counted in stats: federateX509, getResourcePrincipalSessionToken, imds.
 */
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import YAML from 'yaml';
import type { RequestStats } from '../admin.js';
import { ApiError, invalid, parseJsonObject, readBody, type ApiResult } from '../http.js';
import type { Route } from '../routes.js';
import type { KeyRegistry } from '../signature.js';
import { writeSecure, type EmulatorIds } from '../state-dir.js';
import { issueCertificate, newRsaKeyPair, pemFromBase64Der, publicPemFromBase64Der, verifyIssuedBy, type CertAndKey } from './pki.js';
import { EmulatorClock, TokenIssuer, jwtClaims } from './tokens.js';

export { EmulatorClock } from './tokens.js';

/** Default lifetime of issued session tokens (OCI's instance-principal tokens live about 20 minutes). */
export const DEFAULT_TOKEN_TTL_SECONDS = 1200;

/** What the ready line says about principals (all paths absolute). */
export interface PrincipalsInfo {
  /** base URL of the metadata service, e.g. http://169.254.169.254/opc/v2/ */
  imdsEndpoint: string;
  /** where `POST /v1/x509` is served (set as auth.federation_endpoint) */
  federationEndpoint: string;
  instanceId: string;
  /** the OKE proxymux base URL, https://127.0.0.1:PORT (set as auth.federation_endpoint for OKE) */
  proxymuxEndpoint: string;
  /** CA certificate of the proxymux TLS server (auth.oke_ca_file) */
  caFile: string;
  /** the current Kubernetes service-account token (auth.oke_token_file) */
  okeTokenFile: string;
  /** KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT_PROXYMUX as OKE sets them for a pod */
  okeEnv: Record<string, string>;
  /** the OCI_RESOURCE_PRINCIPAL_* variables of a v2.2 resource principal */
  resourcePrincipalEnv: Record<string, string>;
  /** a resolver.yaml per method, pointing `run` at the emulator */
  resolverConfigs: { instance_principal: string; resource_principal: string; oke_workload_identity: string };
  tokenTtlSeconds: number;
}

/** Running principals services. */
export interface Principals {
  info: PrincipalsInfo;
  clock: EmulatorClock;
  /** routes served on the emulator's API port (`POST /v1/x509`) */
  routes: Route[];
  /** the `/_emulator/principals…` admin requests; undefined for other paths */
  admin(method: string, pathname: string, body: Buffer): Promise<ApiResult | undefined>;
  /** Moves the token clock forward by `ms` and waits until what the platform renews (the RPST file) is written. */
  advanceClock(ms: number): Promise<void>;
  /** Writes a new service-account token and stops accepting the old one (as Kubernetes rotation, then expiry). */
  rotateServiceAccountToken(): Promise<void>;
  close(): Promise<void>;
}

/** Short region codes the metadata service answers for `instance/region` (others: the region id). */
const SHORT_CODES: Record<string, string> = {
  'us-ashburn-1': 'iad', 'us-phoenix-1': 'phx', 'eu-frankfurt-1': 'fra', 'uk-london-1': 'lhr', 'ap-tokyo-1': 'nrt',
  'eu-amsterdam-1': 'ams', 'ca-toronto-1': 'yyz', 'ap-sydney-1': 'syd', 'sa-saopaulo-1': 'gru', 'eu-zurich-1': 'zrh',
};

/** `host:port` → parts; `[::1]:80` allowed. @throws Error for anything else */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:[\]]+):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`--imds-listen must be ADDRESS:PORT (e.g. 169.254.169.254:80), got ${JSON.stringify(value)}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/**
 * Starts the principals services.
 * @param o.imdsListen `ADDRESS:PORT` of the metadata service (default 169.254.169.254:80: needs that address on
 *   an interface and, for port 80, root; meant for a private network namespace)
 * @param o.tokenTtlSeconds lifetime of issued tokens (default 1200)
 * @throws Error (code EADDRNOTAVAIL, EACCES, EADDRINUSE…) when the metadata or proxymux server cannot listen
 */
export async function startPrincipals(o: {
  stateDir: string;
  ids: EmulatorIds;
  keys: KeyRegistry;
  stats: RequestStats;
  clock: EmulatorClock;
  /** the emulator's API base URL */
  endpoint: string;
  imdsListen?: string;
  tokenTtlSeconds?: number;
  log?: (line: string) => void;
}): Promise<Principals> {
  const { ids, keys, clock } = o;
  const dir = path.join(o.stateDir, 'principals');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let ttlMs = (o.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS) * 1000;
  const part = (kind: string) => 'emu' + createHash('sha256').update(`${ids.tenancyId}:${kind}`).digest('hex').slice(0, 57);
  const instanceId = `ocid1.instance.oc1.${ids.region}.${part('instance')}`;
  const functionId = `ocid1.fnfunc.oc1.${ids.region}.${part('function')}`;
  const clusterId = `ocid1.cluster.oc1.${ids.region}.${part('cluster')}`;
  const issuer = new TokenIssuer(newRsaKeyPair().privateKeyPem, clock);
  const year = 365 * 24 * 3600_000;

  // PKI: instance identity (root → intermediate → leaf), and the OKE cluster CA → proxymux server certificate.
  const root = issueCertificate({ subject: [{ shortName: 'CN', value: 'vaultmcp emulator PKI Root' }], ca: true, validMs: year, now: clock.now() });
  const intermediate = issueCertificate({
    subject: [{ shortName: 'CN', value: 'vaultmcp emulator PKISVC Identity Intermediate' }, { shortName: 'OU', value: 'opc-identity' }],
    issuer: root,
    ca: true,
    validMs: year,
    now: clock.now(),
  });
  const leaf = issueCertificate({
    subject: [
      { shortName: 'CN', value: instanceId },
      { shortName: 'OU', value: 'opc-certtype:instance' },
      { shortName: 'OU', value: `opc-compartment:${ids.compartmentId}` },
      { shortName: 'OU', value: `opc-instance:${instanceId}` },
      { shortName: 'OU', value: `opc-tenant:${ids.tenancyId}` },
    ],
    issuer: intermediate,
    validMs: year,
    now: clock.now(),
  });
  const leafDer = new X509Certificate(leaf.certPem).raw;
  const leafSha1 = createHash('sha1').update(leafDer).digest('hex').match(/../g)!.join(':');
  keys.register(`${ids.tenancyId}/fed-x509/${leafSha1}`, createPublicKey(leaf.keyPem));

  const clusterCa = issueCertificate({ subject: [{ shortName: 'CN', value: 'vaultmcp emulator cluster CA' }], ca: true, validMs: year, now: clock.now() });
  const proxymuxCert: CertAndKey = issueCertificate({
    subject: [{ shortName: 'CN', value: 'proxymux' }],
    issuer: clusterCa,
    altNames: { dns: ['localhost'], ip: ['127.0.0.1'] },
    validMs: year,
    now: clock.now(),
  });
  const caFile = path.join(dir, 'ca.crt');
  await writeSecure(caFile, clusterCa.certPem);

  // Kubernetes service-account tokens: JWTs of the emulated cluster; only the current one is accepted.
  const saKey = newRsaKeyPair();
  const saIssuer = new TokenIssuer(saKey.privateKeyPem, clock);
  const okeTokenFile = path.join(dir, 'sa-token');
  let currentSaToken = '';
  const rotateServiceAccountToken = async (): Promise<void> => {
    currentSaToken = saIssuer.issue(saKey.publicKeyPem, { iss: 'https://kubernetes.default.svc', aud: ['https://kubernetes.default.svc'], sub: 'system:serviceaccount:default:vaultmcp' }, 3600_000).token;
    await writeSecure(okeTokenFile, currentSaToken);
  };
  await rotateServiceAccountToken();

  const trust = (token: string, sessionKeyPem: string, expiresAt: number) => keys.register(`ST$${token}`, sessionKeyPem, { expiresAt });
  const rpClaims = (resId: string, resType: string) => ({
    sub: resId,
    ptype: 'resource',
    ttype: 'res',
    res_type: resType,
    res_id: resId,
    res_tenant: ids.tenancyId,
    res_compartment: ids.compartmentId,
    tenant: ids.tenancyId,
  });

  // Resource principal v2.2: session key + RPST files, re-issued at half-life.
  const rpKey = newRsaKeyPair();
  const rpKeyFile = path.join(dir, 'rp-session-key.pem');
  const rpstFile = path.join(dir, 'rpst');
  await writeSecure(rpKeyFile, rpKey.privateKeyPem);
  let rpTimer: NodeJS.Timeout | undefined;
  let rpstRenewAt = 0;
  let rpstWrite: Promise<void> = Promise.resolve();
  const issueRpst = async (): Promise<void> => {
    const t = issuer.issue(rpKey.publicKeyPem, rpClaims(functionId, 'fnfunc'), ttlMs);
    rpstRenewAt = clock.now() + ttlMs / 2;
    trust(t.token, rpKey.publicKeyPem, t.expiresAt);
    await writeSecure(rpstFile, t.token);
    clearTimeout(rpTimer);
    rpTimer = setTimeout(() => void issueRpst().catch(() => undefined), Math.max(1000, ttlMs / 2));
    rpTimer.unref();
  };
  await issueRpst();
  // as the Functions runtime does: a moved clock past the half-life renews the file at once
  clock.onAdvance(() => {
    if (clock.now() >= rpstRenewAt) rpstWrite = rpstWrite.then(issueRpst).catch(() => undefined);
  });

  // POST /v1/x509 on the API port.
  const federationRoute: Route = {
    method: 'POST',
    pattern: /^\/v1\/x509$/,
    operation: 'federateX509',
    handle({ body }) {
      const b = parseJsonObject(body);
      if (typeof b.certificate !== 'string' || typeof b.publicKey !== 'string') throw invalid('certificate and publicKey are required');
      if ((b.purpose ?? 'DEFAULT') !== 'DEFAULT') throw invalid(`unsupported purpose ${String(b.purpose)}`);
      const presented = pemFromBase64Der(b.certificate);
      const intermediates = Array.isArray(b.intermediateCertificates) ? b.intermediateCertificates.filter((c): c is string => typeof c === 'string') : [];
      let sameLeaf = false;
      try {
        sameLeaf = new X509Certificate(presented).raw.equals(leafDer);
      } catch {
        throw invalid('certificate is not an X.509 certificate');
      }
      const chained = intermediates.some((c) => verifyIssuedBy(presented, pemFromBase64Der(c), Date.now()) && verifyIssuedBy(pemFromBase64Der(c), root.certPem, Date.now()));
      if (!sameLeaf || !chained) throw new ApiError(401, 'NotAuthenticated', 'the certificate is not an instance certificate issued by this realm');
      let sessionKeyPem: string;
      try {
        sessionKeyPem = createPublicKey(publicPemFromBase64Der(b.publicKey)).export({ type: 'spki', format: 'pem' }) as string;
      } catch {
        throw invalid('publicKey is not a public key');
      }
      const t = issuer.issue(
        sessionKeyPem,
        {
          sub: instanceId,
          ptype: 'instance',
          ttype: 'x509',
          tenant: ids.tenancyId,
          'opc-instance': instanceId,
          'opc-compartment': ids.compartmentId,
          'opc-tenant': ids.tenancyId,
          'opc-certtype': 'instance',
        },
        ttlMs,
      );
      trust(t.token, sessionKeyPem, t.expiresAt);
      return { body: { token: t.token } };
    },
  };

  // The metadata service.
  const shortRegion = SHORT_CODES[ids.region] ?? ids.region;
  const instanceDoc = {
    id: instanceId,
    displayName: 'vaultmcp-emulated-instance',
    compartmentId: ids.compartmentId,
    tenantId: ids.tenancyId,
    region: shortRegion,
    canonicalRegionName: ids.region,
    availabilityDomain: `EMU:${ids.region.toUpperCase()}-AD-1`,
    faultDomain: 'FAULT-DOMAIN-1',
    shape: 'VM.Standard.E4.Flex',
    state: 'Running',
    timeCreated: Date.now(),
    regionInfo: { realmKey: 'oc1', realmDomainComponent: 'oraclecloud.com', regionKey: shortRegion.toUpperCase(), regionIdentifier: ids.region },
  };
  const imds = createHttpServer((req, res) => {
    o.stats.count('imds');
    const send = (status: number, text: string, type = 'text/plain') => {
      res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(text)) }).end(text);
    };
    const url = (req.url ?? '/').split('?')[0]!;
    o.log?.(`IMDS ${req.method} ${url}`);
    if (req.headers.authorization !== 'Bearer Oracle') return send(401, 'Unauthorized: IMDS v2 needs Authorization: Bearer Oracle');
    if (req.method !== 'GET') return send(405, 'Method Not Allowed');
    const m = /^\/opc\/v2\/(instance|identity)\/?(.*)$/.exec(url);
    if (!m) return send(404, 'Not Found');
    if (m[1] === 'identity') {
      const files: Record<string, string> = { 'cert.pem': leaf.certPem, 'key.pem': leaf.keyPem, 'intermediate.pem': intermediate.certPem };
      const file = files[m[2]!];
      return file ? send(200, file) : send(404, 'Not Found');
    }
    if (!m[2]) return send(200, JSON.stringify(instanceDoc), 'application/json');
    const value = (instanceDoc as Record<string, unknown>)[m[2].replace(/\/$/, '')];
    if (value === undefined) return send(404, 'Not Found');
    return typeof value === 'object' ? send(200, JSON.stringify(value), 'application/json') : send(200, String(value));
  });

  // The OKE proxymux token endpoint.
  const proxymux = createHttpsServer({ key: proxymuxCert.keyPem, cert: proxymuxCert.certPem }, (req, res) => {
    void handleProxymux(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  async function handleProxymux(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = (req.url ?? '/').split('?')[0]!;
    const fail = (status: number, code: string, message: string) => {
      const text = JSON.stringify({ code, message });
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }).end(text);
    };
    if (url !== '/resourcePrincipalSessionTokens') return fail(404, 'NotFound', 'not found');
    o.stats.count('getResourcePrincipalSessionToken');
    if (req.method !== 'POST') return fail(405, 'MethodNotAllowed', 'POST only');
    const body = await readBody(req);
    const auth = req.headers.authorization ?? '';
    const sa = /^Bearer (.+)$/.exec(auth)?.[1]?.trim();
    const saClaims = sa ? jwtClaims(sa) : undefined;
    if (!sa || sa !== currentSaToken || !saClaims || typeof saClaims.exp !== 'number' || saClaims.exp * 1000 <= clock.now()) {
      o.log?.('proxymux: service-account token rejected');
      return fail(401, 'NotAuthenticated', 'the service-account token is not valid');
    }
    let podKeyPem: string;
    try {
      const b = parseJsonObject(body);
      if (typeof b.podKey !== 'string') throw new Error('podKey');
      podKeyPem = createPublicKey(publicPemFromBase64Der(b.podKey)).export({ type: 'spki', format: 'pem' }) as string;
    } catch {
      return fail(400, 'InvalidParameter', 'podKey must be a base64 SPKI public key');
    }
    const t = issuer.issue(podKeyPem, { ...rpClaims(clusterId, 'workload'), sa_sub: saClaims.sub }, ttlMs);
    trust(t.token, podKeyPem, t.expiresAt);
    const text = Buffer.from(JSON.stringify({ token: `ST$${t.token}` })).toString('base64');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(text.length) }).end(text);
  }

  const listen = (server: Server, host: string, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const imdsAt = parseListen(o.imdsListen ?? '169.254.169.254:80');
  const imdsPort = await listen(imds, imdsAt.host, imdsAt.port);
  let proxymuxPort: number;
  try {
    proxymuxPort = await listen(proxymux, '127.0.0.1', 0);
  } catch (err) {
    imds.close();
    throw err;
  }
  const imdsHost = imdsAt.host.includes(':') ? `[${imdsAt.host}]` : imdsAt.host;
  const imdsEndpoint = `http://${imdsHost}${imdsPort === 80 ? '' : `:${imdsPort}`}/opc/v2/`;
  const proxymuxEndpoint = `https://127.0.0.1:${proxymuxPort}`;

  const resourcePrincipalEnv = {
    OCI_RESOURCE_PRINCIPAL_VERSION: '2.2',
    OCI_RESOURCE_PRINCIPAL_RPST: rpstFile,
    OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: rpKeyFile,
    OCI_RESOURCE_PRINCIPAL_REGION: ids.region,
  };
  const resolverFor = async (method: keyof PrincipalsInfo['resolverConfigs'], auth: Record<string, string>): Promise<string> => {
    const file = path.join(o.stateDir, `resolver-${method}.yaml`);
    const settings = {
      vault: { region: ids.region, vault_id: ids.vaultId, compartment_id: ids.compartmentId, key_id: ids.keyId, endpoint: o.endpoint },
      auth: { method, ...auth },
      cache: { dir: path.join(o.stateDir, 'cache', method) },
    };
    await writeSecure(file, `# generated by docker vaultmcp dev vault --principals\n${YAML.stringify(settings)}`);
    return file;
  };
  const info: PrincipalsInfo = {
    imdsEndpoint,
    federationEndpoint: o.endpoint,
    instanceId,
    proxymuxEndpoint,
    caFile,
    okeTokenFile,
    okeEnv: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT_PROXYMUX: String(proxymuxPort) },
    resourcePrincipalEnv,
    resolverConfigs: {
      instance_principal: await resolverFor('instance_principal', { federation_endpoint: o.endpoint }),
      resource_principal: await resolverFor('resource_principal', {}),
      oke_workload_identity: await resolverFor('oke_workload_identity', { federation_endpoint: proxymuxEndpoint, oke_token_file: okeTokenFile, oke_ca_file: caFile }),
    },
    tokenTtlSeconds: ttlMs / 1000,
  };

  const close = (server: Server) => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return {
    info,
    clock,
    routes: [federationRoute],
    rotateServiceAccountToken,
    async advanceClock(ms) {
      clock.advance(ms);
      await rpstWrite;
    },
    async admin(method, pathname, body) {
      const route = `${method} ${pathname}`;
      switch (route) {
        case 'GET /_emulator/principals':
          return { body: { ...info, tokenTtlSeconds: ttlMs / 1000, clockOffsetMs: clock.offset } };
        case 'POST /_emulator/principals/clock': {
          const n = parseJsonObject(body).advanceSeconds;
          if (typeof n !== 'number' || !(n >= 0)) throw invalid('advanceSeconds must be a number ≥ 0');
          clock.advance(n * 1000);
          await rpstWrite;
          return { body: { offsetMs: clock.offset } };
        }
        case 'POST /_emulator/principals/ttl': {
          const n = parseJsonObject(body).seconds;
          if (typeof n !== 'number' || !(n >= 1)) throw invalid('seconds must be a number ≥ 1');
          ttlMs = n * 1000;
          return { status: 204 };
        }
        case 'POST /_emulator/principals/rotate-sa-token':
          await rotateServiceAccountToken();
          return { status: 204 };
        case 'POST /_emulator/principals/rpst':
          await issueRpst();
  // as the Functions runtime does: a moved clock past the half-life renews the file at once
  clock.onAdvance(() => {
    if (clock.now() >= rpstRenewAt) rpstWrite = rpstWrite.then(issueRpst).catch(() => undefined);
  });
          return { status: 204 };
      }
      return undefined;
    },
    async close() {
      clearTimeout(rpTimer);
      await rpstWrite;
      await Promise.all([close(imds), close(proxymux)]);
    },
  };
}
