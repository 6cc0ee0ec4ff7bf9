import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import type { AppContext } from '../../core/context.js';
import { ExitCode, UsageError, VaultMcpError } from '../../core/errors.js';
import type { MessageFilter, SignalSource } from '../../core/launcher/index.js';
import type { ResolutionReport } from '../../core/resolve/resolver.js';
import type { SecretSpec } from '../../core/config/services/select.js';
import { formatSecretRef, parseSecretRef } from '../../core/vault/refs.js';
import { planRun, withSecrets } from '../run/plan.js';
import { requiredFailures } from '../run/run.js';

/**
 * `serve SERVICE`: a host MCP server (npx, uvx, a binary) reachable over MCP Streamable HTTP at `/mcp`, so the
 * Docker MCP gateway can use it as a `type: remote` catalog entry (reference/docker-gateway-2026.md). Secrets,
 * plan and launcher rules are exactly `run`'s (one resolution at start, all-or-nothing); each MCP session gets
 * its own server process, which speaks stdio as under `run`. The HTTP side is the MCP SDK's
 * StreamableHTTPServerTransport, one per session. Every request needs `Authorization: Bearer TOKEN` (TOKEN from
 * the vault); the Host and Origin headers are checked against DNS rebinding. docs/serve.md.
 */

export interface ServeRequest {
  service: string;
  env?: string;
  config?: string;
  /** Bind address; loopback by default. */
  host: string;
  /** Port; 0 = any free one. */
  port: number;
  /** `--token-secret REF`; default the secret `vaultmcp-serve-<service>`, generated and stored on first use. */
  tokenSecret?: string;
  /** Most concurrent MCP sessions (server processes). */
  maxSessions: number;
  /** A session without any traffic for this long is closed and its server stopped, seconds. */
  idleTimeoutS: number;
  /** Origins allowed besides the loopback ones (a browser-based client), exact `scheme://host[:port]`. */
  allowOrigins: string[];
  offline: boolean;
  refresh: boolean;
  cwd?: string;
  extraArgs: string[];
}

/** What happens while serving, for stderr. None carries a value or the token. */
export type ServeEvent =
  | { type: 'warning'; message: string }
  | { type: 'info'; message: string }
  | { type: 'session'; action: 'opened' | 'closed'; id: string; reason?: string; sessions: number }
  | { type: 'rejected'; status: number; reason: string };

/** The outside pieces `startServe` takes. */
export interface ServeDependencies {
  onEvent?: (e: ServeEvent) => void;
  /**
   * Message filters for each session's server output (server → client), e.g. the leak guard: called once per
   * session; the filters see whole JSON-RPC messages (core/launcher/filters.ts).
   */
  filters?: (session: { service: string }) => readonly MessageFilter[];
  /** Least ms between two re-reads of the token after a failed check (default 30 000). */
  tokenRecheckMs?: number;
  /** After a session's stdin closes: ms before SIGTERM, then before SIGKILL (launcher defaults otherwise). */
  stopGraceMs?: number;
}

/** A listening `serve`. */
export interface RunningServe {
  /** `http://HOST:PORT/mcp` */
  url: string;
  port: number;
  /** The vault secret holding the bearer token (its reference text). */
  tokenSecret: string;
  /** True when the token was generated and stored by this start. */
  tokenGenerated: boolean;
  /** Open sessions. */
  sessions(): number;
  /** Stops accepting, closes every session and waits for their servers to exit. Idempotent. */
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);

/** True for a loopback bind address or Host name. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return LOOPBACK_HOSTS.has(h) || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The default token secret name for a service: `vaultmcp-serve-<service>` (a valid vault secret name). */
export function defaultTokenSecret(service: string): string {
  const base = service.replace(/\.(json|ya?ml)$/, '').split(/[\\/]/).pop()!.replace(/[^A-Za-z0-9._-]/g, '-');
  return `vaultmcp-serve-${base}`.slice(0, 255);
}

/**
 * Plans, resolves (service secrets and token), and starts listening.
 * @returns the running server; it runs until `close()`
 * @throws UsageError/ConfigError (2), ResolutionError/VaultError (3) when a required secret or the token cannot
 *   be had (nothing listens), CommandNotFoundError (127), VaultMcpError (2) when the port is taken
 */
export async function startServe(ctx: AppContext, req: ServeRequest, deps: ServeDependencies = {}): Promise<RunningServe> {
  const emit = (e: ServeEvent) => {
    try {
      deps.onEvent?.(e);
    } catch {
      /* reporting never breaks serving */
    }
  };
  if (req.offline && req.refresh) throw new UsageError('--offline and --refresh contradict each other', 'pass one of them');
  if (!Number.isInteger(req.port) || req.port < 0 || req.port > 65535) throw new UsageError('--port must be 0..65535', 'e.g. --port 8931');
  if (!(req.maxSessions >= 1)) throw new UsageError('--max-sessions must be at least 1', 'e.g. --max-sessions 8');
  if (!(req.idleTimeoutS >= 1)) throw new UsageError('--idle-timeout must be at least 1 second', 'e.g. --idle-timeout 900');
  for (const o of req.allowOrigins) {
    if (!/^https?:\/\/[^/]+$/.test(o)) throw new UsageError(`--allow-origin ${o} is not an origin`, 'use scheme://host[:port], e.g. https://app.example.com');
  }
  const tokenText = req.tokenSecret ?? defaultTokenSecret(req.service);
  let tokenRef;
  try {
    tokenRef = parseSecretRef(tokenText);
  } catch (err) {
    throw new UsageError(`--token-secret: ${(err as Error).message}`, 'use a secret name, an OCID or an oci-vault:// URL');
  }

  const plan = await planRun(ctx, req);
  for (const w of plan.warnings) emit({ type: 'warning', message: w });
  if (plan.executable instanceof Error) throw plan.executable;

  // Resolution: the service's secrets all-or-nothing, like `run`; then the token.
  const { createResolver } = await import('../../core/resolve/resolver.js');
  const resolver = await createResolver({ settings: plan.settings, ctx });
  let report: ResolutionReport;
  let token: Buffer;
  let tokenGenerated = false;
  try {
    report = await resolver.resolve(plan.selection.specs, { offline: req.offline, refresh: req.refresh });
    for (const w of report.warnings) emit({ type: 'warning', message: w });
    if (report.failures.some((f) => f.required)) throw requiredFailures(report);
    const t = await resolver.resolve([{ envVar: 'bearer token', ref: tokenRef, reference: formatSecretRef(tokenRef), required: true }], { offline: req.offline, refresh: req.refresh });
    const failure = t.failures[0];
    if (failure) {
      if (req.tokenSecret !== undefined || failure.error.kind !== 'not_found' || tokenRef.kind !== 'name' || req.offline) throw requiredFailures(t);
      // First use: a random token, stored in the vault; never shown (read it with `secret get --reveal`).
      const fresh = Buffer.from(randomBytes(32).toString('base64url'));
      const { createSecretAdmin } = await import('../secrets/create.js');
      const admin = await createSecretAdmin(plan.settings, ctx);
      await admin.upload(tokenRef.name, fresh, { description: `bearer token of docker vaultmcp serve ${req.service}` });
      token = fresh;
      tokenGenerated = true;
      emit({ type: 'info', message: `generated a bearer token and stored it as secret '${tokenRef.name}' (read it with \`docker vaultmcp secret get ${tokenRef.name} --reveal\`)` });
    } else {
      token = Buffer.from(t.secrets[0]!.value, 'utf8');
      if (token.length < 16) emit({ type: 'warning', message: `the bearer token in ${tokenText} is short (${token.length} characters); use 32 or more random characters` });
    }
  } catch (err) {
    await resolver.close().catch(() => {});
    throw err;
  }
  let tokenDigest = createHash('sha256').update(token).digest();
  // A rotated token (a new CURRENT version) is picked up when a request fails the check: the token is read
  // again from the vault, at most once per `tokenRecheckMs`, so wrong tokens cannot make us hammer the vault.
  const tokenSpec: SecretSpec = { envVar: 'bearer token', ref: tokenRef, reference: formatSecretRef(tokenRef), required: true };
  const recheckMs = deps.tokenRecheckMs ?? 30_000;
  let lastRecheck = Date.now();
  let rechecking: Promise<boolean> | undefined;
  const recheckToken = (): Promise<boolean> => {
    if (req.offline || Date.now() - lastRecheck < recheckMs) return Promise.resolve(false);
    lastRecheck = Date.now();
    rechecking ??= resolver
      .resolve([tokenSpec], { refresh: true })
      .then((r) => {
        const value = r.secrets[0]?.value;
        if (value === undefined) return false;
        const digest = createHash('sha256').update(value).digest();
        const changed = !timingSafeEqual(digest, tokenDigest);
        if (changed) emit({ type: 'info', message: `the bearer token in ${tokenText} changed in the vault; the new one is in use` });
        tokenDigest = digest;
        return changed;
      })
      .catch(() => false)
      .finally(() => (rechecking = undefined));
    return rechecking;
  };
  token.fill(0);
  for (const w of withSecrets(plan, Object.fromEntries(report.secrets.map((s) => [s.envVar, s.value]))).warnings) emit({ type: 'warning', message: w });
  // Each session is a launch, as each `run` is: its secrets are resolved then (a fresh cache entry costs no vault
  // call), so a rotated secret reaches new sessions; the first session uses the start-up resolution.
  let startReport: ResolutionReport | undefined = report;
  const sessionEnv = async (): Promise<Record<string, string>> => {
    let r = startReport;
    startReport = undefined;
    if (!r) {
      r = await resolver.resolve(plan.selection.specs, { offline: req.offline });
      for (const w of r.warnings) emit({ type: 'warning', message: w });
      if (r.failures.some((f) => f.required)) throw requiredFailures(r);
    }
    return withSecrets(plan, Object.fromEntries(r.secrets.map((x) => [x.envVar, x.value]))).env;
  };

  if (!isLoopback(req.host)) {
    emit({ type: 'warning', message: `listening on ${req.host}, beyond this machine, over plain HTTP: put TLS in front (a reverse proxy or tunnel), or the bearer token crosses the network in the clear` });
  }

  const sessions = new Map<string, Session>();
  let pending = 0; // sessions being created (counted against the limit)
  let closing = false;
  const { StreamableHTTPServerTransport } = await import('@modelcontextprotocol/sdk/server/streamableHttp.js');
  const { isInitializeRequest } = await import('@modelcontextprotocol/sdk/types.js');
  const { launch } = await import('../../core/launcher/index.js');

  const server = http.createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) reply(response, 500, 'internal error');
      else response.end();
    });
  });
  let port = 0;

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://x');
    if (url.pathname !== '/mcp') return reject(response, 404, 'not found (the MCP endpoint is /mcp)');
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example.
    const hostHeader = (request.headers.host ?? '').replace(/:\d+$/, '');
    if (isLoopback(req.host) && !isLoopback(hostHeader)) return reject(response, 403, 'Host is not a loopback name');
    const origin = request.headers.origin;
    if (origin !== undefined && !originAllowed(origin)) return reject(response, 403, 'Origin not allowed');
    if (!authorized(request.headers.authorization) && !((await recheckToken()) && authorized(request.headers.authorization))) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="docker-vaultmcp"');
      return reject(response, 401, 'missing or wrong bearer token');
    }
    if (closing) return reject(response, 503, 'shutting down');

    const sessionId = request.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const s = sessions.get(sessionId);
      if (!s) return reject(response, 404, 'unknown or expired session');
      s.touch();
      const body = request.method === 'POST' ? await readJson(request, response) : undefined;
      if (body === INVALID) return;
      if (body !== undefined) s.noteClientMessages(body);
      await s.transport.handleRequest(request, response, body);
      return;
    }
    if (request.method !== 'POST') return reject(response, 400, 'no session: start one with an initialize request');
    const body = await readJson(request, response);
    if (body === INVALID) return;
    const init = Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
    if (!init) return reject(response, 400, 'no session: start one with an initialize request');
    if (sessions.size + pending >= req.maxSessions) {
      response.setHeader('Retry-After', '5');
      return reject(response, 503, `session limit reached (${req.maxSessions})`);
    }
    pending++;
    let env: Record<string, string>;
    try {
      env = await sessionEnv();
    } catch (err) {
      emit({ type: 'warning', message: `a new session could not get its secrets: ${(err as Error).message}` });
      return reject(response, 503, 'the server\'s secrets could not be resolved; see the serve log');
    } finally {
      pending--;
    }
    const s = openSession(env);
    s.noteClientMessages(body);
    await s.transport.handleRequest(request, response, body);
    if (!s.transport.sessionId) s.close('initialize failed');
  };

  const originAllowed = (origin: string): boolean => {
    if (req.allowOrigins.includes(origin)) return true;
    try {
      const o = new URL(origin);
      return isLoopback(req.host) && isLoopback(o.hostname) && o.port === String(port);
    } catch {
      return false;
    }
  };
  const authorized = (header: string | undefined): boolean => {
    const m = /^Bearer +(\S+)$/i.exec(header ?? '');
    const given = createHash('sha256').update(m?.[1] ?? '').digest();
    // both sides are 32-byte digests: the comparison time says nothing about the token
    return timingSafeEqual(given, tokenDigest) && !!m;
  };
  const reject = (response: ServerResponse, status: number, reason: string) => {
    emit({ type: 'rejected', status, reason });
    reply(response, status, reason);
  };

  interface Session {
    transport: InstanceType<typeof StreamableHTTPServerTransport>;
    touch(): void;
    noteClientMessages(body: unknown): void;
    close(reason: string): void;
    done: Promise<void>;
  }

  const openSession = (env: Record<string, string>): Session => {
    let id = '';
    let closed = false;
    let idle: NodeJS.Timeout | undefined;
    const stdin = new PassThrough();
    // Requests from the client still waiting for their response, newest last; progress tokens → request id.
    const inflight: Array<string | number> = [];
    const progress = new Map<string | number, string | number>();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => {
        id = sid;
        sessions.set(sid, session);
        emit({ type: 'session', action: 'opened', id: sid, sessions: sessions.size });
      },
      onsessionclosed: () => session.close('closed by the client'),
    });
    const send = (message: Record<string, unknown>) => {
      session.touch();
      let related: string | number | undefined;
      if ('id' in message && ('result' in message || 'error' in message)) {
        const i = inflight.indexOf(message.id as string | number);
        if (i >= 0) inflight.splice(i, 1);
      } else {
        const token = (message.params as { progressToken?: string | number } | undefined)?.progressToken;
        related = (token !== undefined ? progress.get(token) : undefined) ?? inflight.at(-1);
      }
      transport.send(message as never, related !== undefined ? { relatedRequestId: related } : undefined).catch(() => {});
    };
    let buf = '';
    const stdout = new Writable({
      write(chunk: Buffer, _enc, done) {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          try {
            send(JSON.parse(line));
          } catch {
            // not JSON-RPC (a server printing to stdout): not forwardable over HTTP; dropped
          }
        }
        done();
      },
    });
    const session: Session = {
      transport,
      touch() {
        clearTimeout(idle);
        if (closed) return;
        idle = setTimeout(() => session.close(`idle for ${req.idleTimeoutS} s`), req.idleTimeoutS * 1000);
        idle.unref();
      },
      noteClientMessages(body) {
        for (const m of Array.isArray(body) ? body : [body]) {
          if (m && typeof m === 'object' && 'method' in m && 'id' in m) {
            inflight.push(m.id);
            const token = (m.params as { _meta?: { progressToken?: string | number } } | undefined)?._meta?.progressToken;
            if (token !== undefined) progress.set(token, m.id);
          }
        }
      },
      close(reason) {
        if (closed) return;
        closed = true;
        clearTimeout(idle);
        if (id) sessions.delete(id);
        stdin.end(); // the launcher stops the server: stdin EOF, then SIGTERM, then SIGKILL
        transport.close().catch(() => {});
        if (id) emit({ type: 'session', action: 'closed', id, reason, sessions: sessions.size });
      },
      done: Promise.resolve(),
    };
    transport.onmessage = (message) => {
      session.touch();
      stdin.write(JSON.stringify(message) + '\n');
    };
    transport.onclose = () => session.close('transport closed');
    session.done = launch({
      command: plan.command,
      file: plan.executable as string,
      env,
      cwd: plan.workdir,
      stdin,
      stdout,
      stderr: 'inherit',
      filters: deps.filters?.({ service: plan.service.name }) ?? [],
      signals: new EventEmitter() as unknown as SignalSource,
      ...(deps.stopGraceMs !== undefined ? { stdinGraceMs: deps.stopGraceMs, killGraceMs: deps.stopGraceMs } : {}),
    }).then(
      (r) => session.close(`the server exited (${r.signal ?? `code ${r.code}`})`),
      (err) => {
        emit({ type: 'warning', message: `cannot start the server: ${(err as Error).message}` });
        session.close('the server did not start');
      },
    );
    all.add(session.done);
    void session.done.finally(() => all.delete(session.done));
    session.touch();
    return session;
  };
  const all = new Set<Promise<void>>();

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new VaultMcpError(`cannot listen on ${req.host}:${req.port} (${err.code ?? 'error'})`, { exitCode: ExitCode.USAGE, hint: err.code === 'EADDRINUSE' ? 'pick another --port, or 0 for any free one' : 'check --host' })),
    );
    server.listen(req.port, req.host, () => resolve());
  }).catch(async (err) => {
    await resolver.close().catch(() => {});
    throw err;
  });
  port = (server.address() as AddressInfo).port;
  const hostForUrl = req.host.includes(':') ? `[${req.host}]` : req.host;
  let closedAll: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${port}/mcp`,
    port,
    tokenSecret: tokenText,
    tokenGenerated,
    sessions: () => sessions.size,
    close() {
      closedAll ??= (async () => {
        closing = true;
        server.close();
        server.closeAllConnections?.();
        for (const s of [...sessions.values()]) s.close('shutting down');
        await Promise.all([...all]);
        await resolver.close().catch(() => {});
      })();
      return closedAll;
    },
  };
}

const INVALID = Symbol('invalid');
const MAX_BODY = 4 * 1024 * 1024;

async function readJson(request: IncomingMessage, response: ServerResponse): Promise<unknown | typeof INVALID> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) {
      reply(response, 413, 'request body too large');
      return INVALID;
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    reply(response, 400, 'the body is not JSON', -32700);
    return INVALID;
  }
}

function reply(response: ServerResponse, status: number, message: string, code = -32000): void {
  if (response.headersSent) return void response.end();
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

