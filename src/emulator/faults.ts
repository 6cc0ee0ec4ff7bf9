/**
 * Fault injection for API requests (admin API `POST /_emulator/faults`, see admin.ts for the wire contract).
 * Faults are kept in order; for each API request every matching fault with `latencyMs` adds its delay, and the
 * first matching fault with an action (status, hang, reset, malformed) decides the outcome. A fault with
 * `count` fires that many times, then disappears; without `count` it stays until cleared.
 */
import { invalid } from './http.js';

/** One fault as posted to the admin API. */
export interface FaultSpec {
  /** answer with this HTTP status and an OCI error body */
  status?: number;
  /** error code for `status` (default: the usual code for the status, e.g. 503 ServiceUnavailable) */
  code?: string;
  message?: string;
  /** Retry-After header value, seconds (with status, typically 429) */
  retryAfter?: number;
  /** hold the request without answering until faults are cleared (then it is served) or the server closes */
  hang?: boolean;
  /** destroy the connection without an answer */
  reset?: boolean;
  /** answer 200 with a body that is not valid JSON */
  malformed?: boolean;
  /** delay before the answer, ms (may be combined with an action) */
  latencyMs?: number;
  /** an operation name such as "getSecretBundleByName" (exact, case-insensitive) or a substring of the URL */
  path?: string;
  /** times to fire; omitted = until cleared */
  count?: number;
}

/** The action decided for a request. */
export type FaultAction =
  | { kind: 'status'; status: number; code?: string; message?: string; retryAfter?: number }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'malformed' };

interface ActiveFault extends FaultSpec {
  id: number;
  remaining?: number;
}

/** Validates an admin body into a FaultSpec. @throws ApiError 400 InvalidParameter */
export function parseFaultSpec(body: Record<string, unknown>): FaultSpec {
  const spec: FaultSpec = {};
  const num = (k: string, min: number, max: number): number | undefined => {
    const v = body[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw invalid(`${k} must be a number from ${min} to ${max}`);
    return v;
  };
  const bool = (k: string): boolean | undefined => {
    const v = body[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw invalid(`${k} must be true or false`);
    return v;
  };
  spec.status = num('status', 100, 599);
  spec.retryAfter = num('retryAfter', 0, 86400);
  spec.latencyMs = num('latencyMs', 0, 600000);
  spec.count = num('count', 1, 1e9);
  spec.hang = bool('hang');
  spec.reset = bool('reset');
  spec.malformed = bool('malformed');
  for (const k of ['code', 'message', 'path'] as const) {
    const v = body[k];
    if (v !== undefined && typeof v !== 'string') throw invalid(`${k} must be a string`);
    spec[k] = v as string | undefined;
  }
  const actions = [spec.status !== undefined, spec.hang, spec.reset, spec.malformed].filter(Boolean).length;
  if (actions > 1) throw invalid('a fault has at most one of status, hang, reset, malformed');
  if (actions === 0 && spec.latencyMs === undefined) throw invalid('a fault needs status, hang, reset, malformed or latencyMs');
  if (spec.count !== undefined && !Number.isInteger(spec.count)) throw invalid('count must be an integer');
  return spec;
}

/** The list of active faults and the requests they hold. */
export class FaultInjector {
  private faults: ActiveFault[] = [];
  private nextId = 1;
  private readonly hung = new Set<() => void>();

  /** Adds a fault; returns its id. */
  add(spec: FaultSpec): number {
    const id = this.nextId++;
    this.faults.push({ ...spec, id, remaining: spec.count });
    return id;
  }

  /** Removes every fault and releases hung requests (they are then served normally). */
  clear(): void {
    this.faults = [];
    for (const release of this.hung) release();
    this.hung.clear();
  }

  /** Active faults (for GET /_emulator/faults). */
  list(): Array<FaultSpec & { id: number; remaining?: number }> {
    return this.faults.map((f) => ({ ...f }));
  }

  /**
   * Decides the faults for one request and consumes their counts.
   * @param operation SDK operation name, e.g. "getSecretBundleByName"
   * @param url raw request URL (path + query)
   * @returns total injected latency (ms) and the action, if any
   */
  take(operation: string, url: string): { latencyMs: number; action?: FaultAction } {
    let latencyMs = 0;
    let action: FaultAction | undefined;
    for (const f of [...this.faults]) {
      if (!matches(f, operation, url)) continue;
      const hasAction = f.status !== undefined || f.hang || f.reset || f.malformed;
      if (hasAction && action) continue;
      if (f.latencyMs) latencyMs += f.latencyMs;
      if (hasAction) {
        action =
          f.status !== undefined
            ? { kind: 'status', status: f.status, code: f.code, message: f.message, retryAfter: f.retryAfter }
            : f.hang
              ? { kind: 'hang' }
              : f.reset
                ? { kind: 'reset' }
                : { kind: 'malformed' };
      }
      if (f.remaining !== undefined && --f.remaining <= 0) this.faults = this.faults.filter((x) => x !== f);
    }
    return { latencyMs, action };
  }

  /** Resolves when faults are cleared (a hung request's wait). */
  waitForClear(): Promise<void> {
    return new Promise((resolve) => this.hung.add(resolve));
  }
}

function matches(f: FaultSpec, operation: string, url: string): boolean {
  if (!f.path) return true;
  if (f.path.toLowerCase() === operation.toLowerCase()) return true;
  return url.includes(f.path);
}
