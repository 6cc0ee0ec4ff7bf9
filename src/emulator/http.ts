/**
 * Wire helpers shared by every emulator route: the OCI error body, JSON responses with `opc-request-id`,
 * request ids and body reading. Source: reference/oci-api.md §3 (errors) and §9 (checklist).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Canonical 404 message of OCI (oci-api.md §3). */
export const NOT_FOUND_MESSAGE = 'Authorization failed or requested resource not found.';

/**
 * An API failure as OCI returns it: HTTP status plus `{"code","message"}` body (oci-api.md §3).
 * Throw it from a route; the server renders it.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** 400 InvalidParameter. */
export const invalid = (message: string): ApiError => new ApiError(400, 'InvalidParameter', message);
/** 400 MissingParameter. */
export const missing = (name: string): ApiError => new ApiError(400, 'MissingParameter', `${name} is required`);
/** 404 NotAuthorizedOrNotFound with the canonical message. */
export const notFound = (): ApiError => new ApiError(404, 'NotAuthorizedOrNotFound', NOT_FOUND_MESSAGE);
/** 409 IncorrectState. */
export const incorrectState = (message: string): ApiError => new ApiError(409, 'IncorrectState', message);

/** Default error code for an HTTP status (used by injected faults). */
export function codeForStatus(status: number): string {
  const codes: Record<number, string> = {
    400: 'InvalidParameter',
    401: 'NotAuthenticated',
    403: 'NotAuthorized',
    404: 'NotAuthorizedOrNotFound',
    405: 'MethodNotAllowed',
    409: 'IncorrectState',
    412: 'NoEtagMatch',
    429: 'TooManyRequests',
    500: 'InternalServerError',
    502: 'BadGateway',
    503: 'ServiceUnavailable',
    504: 'GatewayTimeout',
  };
  return codes[status] ?? (status >= 500 ? 'InternalServerError' : 'InvalidParameter');
}

/** A request id in the SDK's style (32 upper-case hex chars). */
export function newRequestId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

/** What a route returns: status, optional JSON body (undefined = empty body), extra headers. */
export interface ApiResult {
  status?: number;
  body?: unknown;
  headers?: Record<string, string | undefined>;
}

/** Writes a JSON (or empty) response; undefined header values are skipped. */
export function sendResult(res: ServerResponse, requestId: string, result: ApiResult): void {
  const headers: Record<string, string> = { 'opc-request-id': requestId };
  for (const [k, v] of Object.entries(result.headers ?? {})) if (v !== undefined && v !== '') headers[k] = v;
  if (result.body === undefined) {
    if (result.status !== 204) headers['content-length'] = '0';
    res.writeHead(result.status ?? 200, headers).end();
    return;
  }
  const text = JSON.stringify(result.body);
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(result.status ?? 200, headers).end(text);
}

/** Writes an ApiError as the OCI error body. */
export function sendError(res: ServerResponse, requestId: string, err: ApiError): void {
  sendResult(res, requestId, { status: err.status, body: { code: err.code, message: err.message }, headers: err.headers });
}

/** Reads the whole request body (at most `maxBytes`, else 400 InvalidParameter). */
export async function readBody(req: IncomingMessage, maxBytes = 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw invalid(`request body larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON object body; an empty body is `{}`; anything else → 400 CannotParseRequest. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ApiError(400, 'CannotParseRequest', 'request body is not a JSON object');
}

/**
 * Applies limit/page to a sorted list: `page` is the decimal offset we handed out in `opc-next-page`.
 * `opc-next-page` is only set when more items remain (oci-api.md §1, §2). A page holds at most
 * `maxPageSize` items even when `limit` (or no limit) allows more: `limit` is a maximum, and a client that does
 * not follow `opc-next-page` must fail here as it would against OCI.
 */
export function paginate<T>(items: T[], query: URLSearchParams, maxPageSize: number): ApiResult & { body: T[] } {
  const limitText = query.get('limit');
  const pageText = query.get('page');
  let limit = maxPageSize;
  if (limitText !== null) {
    limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalid('limit must be an integer from 1 to 1000');
    limit = Math.min(limit, maxPageSize);
  }
  let offset = 0;
  if (pageText !== null && pageText !== '') {
    offset = Number(pageText);
    if (!/^\d+$/.test(pageText) || offset > items.length) throw invalid('page is not a valid page token');
  }
  const body = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? String(offset + limit) : undefined;
  return { body, headers: { 'opc-next-page': next } };
}

/** Parses sortOrder (ASC|DESC, case-insensitive) with a default. */
export function sortOrder(query: URLSearchParams, fallback: 'ASC' | 'DESC'): 1 | -1 {
  const v = (query.get('sortOrder') ?? fallback).toUpperCase();
  if (v !== 'ASC' && v !== 'DESC') throw invalid('sortOrder must be ASC or DESC');
  return v === 'ASC' ? 1 : -1;
}
