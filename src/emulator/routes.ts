/**
 * Route table types shared by the API modules. A route is matched on the URL path (no query) and method;
 * `operation` is the SDK operation name (camelCase), used by stats and fault targeting.
 */
import type { IncomingMessage } from 'node:http';
import type { ApiResult } from './http.js';
import type { SecretStore } from './store.js';
import type { EmulatorIds } from './state-dir.js';

/** What every route may use. */
export interface RouteEnv {
  store: SecretStore;
  ids: EmulatorIds;
  /** the emulator's base URL, e.g. http://127.0.0.1:9443 */
  endpoint: () => string;
  /** list paging: at most `maxPageSize` items per page whatever `limit` asks (OCI pages too; tests may change it) */
  paging: { maxPageSize: number };
}

/** One request as seen by a route. */
export interface RouteRequest {
  req: IncomingMessage;
  query: URLSearchParams;
  body: Buffer;
  /** decoded path captures */
  params: string[];
  env: RouteEnv;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  pattern: RegExp;
  operation: string;
  handle(r: RouteRequest): ApiResult | Promise<ApiResult>;
}

/** Matches a path against the table: the route, 'method' when only the method differs, or undefined. */
export function matchRoute(
  routes: readonly Route[],
  method: string,
  pathname: string,
): { route: Route; params: string[] } | 'method' | undefined {
  let pathMatched = false;
  for (const route of routes) {
    const m = route.pattern.exec(pathname);
    if (!m) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    try {
      return { route, params: m.slice(1).map((p) => decodeURIComponent(p)) };
    } catch {
      return undefined;
    }
  }
  return pathMatched ? 'method' : undefined;
}

/** Operation name for stats and faults, even when the method does not match ('unknown' if no path matches). */
export function operationOf(routes: readonly Route[], method: string, pathname: string): string {
  const m = matchRoute(routes, method, pathname);
  return m && m !== 'method' ? m.route.operation : 'unknown';
}
