/**
 * The emulator's HTTP server (node:http): one port serves the Secrets retrieval API (/20190301), the Vault
 * management and KMS APIs (/20180608), Identity (/20160918) and the admin API (/_emulator).
 *
 * Pipeline of an API request: count in stats → read body → latency (global + faults) → injected fault
 * action → signature verification (401) → route (404 NotFound / 405 MethodNotAllowed) → handler.
 * Every response carries `opc-request-id` (the client's, echoed, or a new one). Latency is a timer per
 * request, so concurrent requests are delayed in parallel, never serialized.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleAdmin, type AdminEnv } from './admin.js';
import { ApiError, codeForStatus, newRequestId, readBody, sendError, sendResult } from './http.js';
import { identityRoutes, kmsRoutes } from './identity-kms.js';
import { matchRoute, operationOf, type Route, type RouteEnv } from './routes.js';
import { secretManagementRoutes, secretRetrievalRoutes } from './secrets-api.js';
import { verifyRequest } from './signature.js';

/** Every API route the emulator serves. */
export const ROUTES: readonly Route[] = [...secretRetrievalRoutes, ...secretManagementRoutes, ...kmsRoutes, ...identityRoutes];

export interface EmulatorServerOptions extends RouteEnv, AdminEnv {
  /** delay added to every API request, ms */
  latencyMs: number;
  /** one line per API request (method, path, operation, status, ms); never values */
  log?: (line: string) => void;
  /** host names besides loopback that requests may be addressed to (the non-loopback address it listens on) */
  allowedHosts?: readonly string[];
  /** routes added at run time (principals: `POST /v1/x509`) */
  extraRoutes?: () => readonly Route[];
  /** ms from connecting (or the previous response) to a request's complete headers; default 10 000 */
  headersTimeoutMs?: number;
  /** ms from the start of a request to its complete body; default 30 000. A hung answer (fault) is not limited. */
  requestTimeoutMs?: number;
}

/** A started server plus its shutdown. */
export interface EmulatorServer {
  server: Server;
  /** Stops accepting, releases hung requests, drops open connections. */
  close(): Promise<void>;
}

/** Creates (does not listen) the emulator server. */
export function createEmulatorServer(o: EmulatorServerOptions): EmulatorServer {
  const closing = new AbortController();
  const headersTimeout = o.headersTimeoutMs ?? 10_000;
  const requestTimeout = Math.max(o.requestTimeoutMs ?? 30_000, headersTimeout);
  // A client that connects and never finishes its headers or body must not hold a connection (and a socket of a
  // possibly shared machine) forever. Node's own limits (requestTimeout, headersTimeout, checked every
  // connectionsCheckingInterval) plus our timers below, which also hold where the runtime ignores those options.
  const server = createServer({ requestTimeout, headersTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout) }, (req, res) => {
    guardBody(req);
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) sendError(res, newRequestId(), new ApiError(500, 'InternalServerError', 'internal error'));
    });
  });
  // Undici keeps connections alive between requests for up to this long.
  server.keepAliveTimeout = 5000;
  // headers: a new connection must deliver a request's headers within headersTimeout
  server.on('connection', (socket) => {
    const timer = setTimeout(() => socket.destroy(), headersTimeout);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    (socket as unknown as { vaultmcpHeadersTimer?: NodeJS.Timeout }).vaultmcpHeadersTimer = timer;
  });
  /** the body must be complete within requestTimeout of the request's start; the answer itself may take longer */
  function guardBody(req: IncomingMessage): void {
    const socket = req.socket as unknown as { vaultmcpHeadersTimer?: NodeJS.Timeout; destroy(): void };
    clearTimeout(socket.vaultmcpHeadersTimer);
    if (req.complete) return;
    const timer = setTimeout(() => req.socket.destroy(), requestTimeout);
    timer.unref();
    const done = () => clearTimeout(timer);
    req.once('end', done);
    req.once('close', done);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const clientId = req.headers['opc-request-id'];
    const requestId = typeof clientId === 'string' && clientId ? clientId : newRequestId();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const method = req.method ?? 'GET';

    // DNS rebinding / cross-site requests from a browser: the admin API is unauthenticated (it can trust a new
    // signing key, then every secret is readable), so only requests addressed to a loopback name, and none sent
    // by a web page of another origin, are served.
    if (!localRequest(req, o.allowedHosts)) {
      sendError(res, requestId, new ApiError(403, 'NotAllowed', 'the emulator only serves requests to a loopback address, not from web pages'));
      return;
    }

    if (pathname === '/_emulator' || pathname.startsWith('/_emulator/')) {
      try {
        sendResult(res, requestId, await handleAdmin(req, pathname, o));
      } catch (err) {
        sendError(res, requestId, asApiError(err));
      }
      return;
    }

    const routes = o.extraRoutes ? [...ROUTES, ...o.extraRoutes()] : ROUTES;
    const operation = operationOf(routes, method, pathname);
    o.stats.count(operation);
    let status = 200;
    try {
      const body = await readBody(req);
      const fault = o.faults.take(operation, url);
      const delay = o.latencyMs + fault.latencyMs;
      if (delay > 0) await sleep(delay, undefined, { signal: closing.signal });
      const action = fault.action;
      if (action?.kind === 'reset') {
        status = 0;
        req.socket.destroy();
        return;
      }
      if (action?.kind === 'hang') {
        await new Promise<void>((resolve, reject) => {
          if (closing.signal.aborted) return reject(new Error('closing'));
          closing.signal.addEventListener('abort', () => reject(new Error('closing')), { once: true });
          void o.faults.waitForClear().then(resolve);
        });
      } else if (action?.kind === 'malformed') {
        const text = '{"secretId": "ocid1.vaultsecret.malformed", "versionNumber": ';
        res.writeHead(200, { 'opc-request-id': requestId, 'content-type': 'application/json', 'content-length': String(text.length) }).end(text);
        return;
      } else if (action?.kind === 'status') {
        const headers: Record<string, string> = {};
        if (action.retryAfter !== undefined) headers['retry-after'] = String(action.retryAfter);
        throw new ApiError(action.status, action.code ?? codeForStatus(action.status), action.message ?? `injected fault: HTTP ${action.status}`, headers);
      }
      const keyId = verifyRequest({ method, url, headers: req.headers, body }, o.keys);
      // An instance certificate key (keyId <tenancy>/fed-x509/<fingerprint>) may only ask for a session token,
      // and only it may (OCI's X.509 federation); nothing else signs with it.
      if ((operation === 'federateX509') !== keyId.includes('/fed-x509/')) {
        throw new ApiError(401, 'NotAuthenticated', 'this key cannot sign this request');
      }
      const match = matchRoute(routes, method, pathname);
      if (match === 'method') throw new ApiError(405, 'MethodNotAllowed', `${method} is not allowed on ${pathname}`);
      if (!match) throw new ApiError(404, 'NotFound', `no such API: ${method} ${pathname}`);
      const result = await match.route.handle({ req, query, body, params: match.params, env: o });
      status = result.status ?? 200;
      sendResult(res, requestId, result);
    } catch (err) {
      if (closing.signal.aborted) {
        status = 0;
        res.destroy();
        return;
      }
      const apiError = asApiError(err);
      status = apiError.status;
      sendError(res, requestId, apiError);
    } finally {
      o.log?.(`${method} ${pathname} ${operation} -> ${status || 'reset'} ${Date.now() - started}ms`);
    }
  }

  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        o.faults.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** The host name of a Host header value or URL authority (`127.0.0.1:9443` → `127.0.0.1`, `[::1]:80` → `[::1]`). */
function hostnameOf(authority: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d*)?$/.exec(authority.trim());
  return (m ? m[1]! : authority).toLowerCase();
}

/**
 * True for a request a local client (SDK, curl, our tests) sent: its Host names a loopback address (or one the
 * emulator was told to listen on), and it carries no Origin from a web page (browsers add Origin to cross-site
 * and to all non-GET fetches; `null` too). Node's fetch and the OCI SDK send no Origin.
 */
export function localRequest(req: Pick<IncomingMessage, 'headers'>, extraHosts: readonly string[] = []): boolean {
  const host = req.headers.host;
  if (typeof host !== 'string' || host === '') return false;
  const name = hostnameOf(host);
  const allowed = (n: string) => LOOPBACK_NAMES.has(n) || /^127(?:\.\d{1,3}){3}$/.test(n) || extraHosts.includes(n);
  if (!allowed(name)) return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && allowed(hostnameOf(url.host));
  } catch {
    return false;
  }
}

function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(500, 'InternalServerError', 'internal error in the emulator');
}
