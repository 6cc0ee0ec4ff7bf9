import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Hooks between the OCI SDK and `fetch`. The SDK (oci-common 2.139.1 `FetchHttpClient`) calls the global `fetch`
 * with a Request and no way to pass an AbortSignal per call (its `httpOptions` path is buggy with the breaker on,
 * reference/oci-api.md §5), and its OciError drops response headers such as Retry-After. So we wrap
 * `globalThis.fetch` once:
 *  - the AbortSignal of the current vault call (set with `withCallSignal`, e.g. from cockatiel's timeout policy)
 *    is attached to the request, so a timed-out call really closes its connection;
 *  - a 429's `Retry-After` (seconds or HTTP date) is remembered under the response's `opc-request-id`, where
 *    `retryAfterFor` finds it when classifying the error.
 */
const callContext = new AsyncLocalStorage<{ signal?: AbortSignal }>();
const retryAfterByRequestId = new Map<string, number>();
let installed = false;

/** Wraps the global fetch (idempotent). */
export function installFetchHooks(): void {
  if (installed) return;
  installed = true;
  const original = globalThis.fetch;
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const signal = callContext.getStore()?.signal;
    const response = await original(input, signal ? { ...init, signal } : init);
    if (response.status === 429) {
      const id = response.headers.get('opc-request-id');
      const ms = parseRetryAfter(response.headers.get('retry-after'));
      if (id && ms !== undefined) {
        retryAfterByRequestId.set(id, ms);
        if (retryAfterByRequestId.size > 256) retryAfterByRequestId.delete(retryAfterByRequestId.keys().next().value!);
      }
    }
    return response;
  };
}

/**
 * Runs `fn` so that every OCI request it makes carries `signal`.
 * @param signal aborts the underlying HTTP request(s) when fired
 */
export function withCallSignal<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  return callContext.run({ signal }, fn);
}

/** Retry-After in ms recorded for a 429 with this opc-request-id, if any (consumed). */
export function retryAfterFor(opcRequestId: string | null | undefined): number | undefined {
  if (!opcRequestId) return undefined;
  const ms = retryAfterByRequestId.get(opcRequestId);
  retryAfterByRequestId.delete(opcRequestId);
  return ms;
}

/**
 * Parses an HTTP Retry-After value (RFC 9110 §10.2.3: delay-seconds or an HTTP-date).
 * @returns milliseconds to wait (≥ 0), or undefined when absent or unparsable
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
