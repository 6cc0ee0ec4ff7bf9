/**
 * Error kinds of docker vaultmcp. Every error a user can cause or meet carries the process exit code it maps to
 * and a one-line hint that names the fix. Core modules throw these; commands never print stack traces for them.
 *
 * Exit codes (documented in README "Exit codes"):
 *   0 ok · child's own code during `run` · 1 general failure (doctor found problems, verification failed)
 *   2 usage or configuration error · 3 vault, auth or resolution error · 127 executable not found
 */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  VAULT: 3,
  NOT_FOUND: 127,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class: a user-facing error with an exit code and an optional "try this" hint (one line each). */
export class VaultMcpError extends Error {
  readonly exitCode: number;
  readonly hint?: string;
  constructor(message: string, options: { exitCode: number; hint?: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode;
    this.hint = options.hint;
  }
}

/** Bad command-line usage (unknown service, conflicting flags, value given in argv…). Exit 2. */
export class UsageError extends VaultMcpError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.USAGE, hint });
  }
}

/**
 * Invalid configuration: resolver.yaml or a service definition. Exit 2.
 * `file` is the path of the offending file; `location` a key path (`vault.vault_id`) or `line:column`.
 */
export class ConfigError extends VaultMcpError {
  readonly file?: string;
  readonly location?: string;
  constructor(message: string, options: { file?: string; location?: string; hint?: string; cause?: unknown } = {}) {
    const where = [options.file, options.location].filter(Boolean).join(':');
    super(where ? `${where}: ${message}` : message, { exitCode: ExitCode.USAGE, hint: options.hint, cause: options.cause });
    this.file = options.file;
    this.location = options.location;
  }
}

/**
 * Classification of a failed vault call, used for retry decisions, cache policy and messages.
 * - `auth`: 401 NotAuthenticated (bad key, clock skew) — final, purges cache
 * - `forbidden`: 403 NotAuthorized — final, purges cache
 * - `not_found`: 404 NotAuthorizedOrNotFound — final, purges cache
 * - `invalid`: other 4xx (400, 409, 412) — final
 * - `throttled`: 429 TooManyRequests — transient, honours Retry-After
 * - `server`: 5xx — transient
 * - `network`: refused, reset, DNS, malformed response — transient
 * - `timeout`: our per-call timeout elapsed — transient
 * - `breaker_open`: our circuit breaker is open — fail fast
 * - `config`: the client could not be built (no profile, unreadable key) — final
 */
export type VaultFailureKind =
  | 'auth'
  | 'forbidden'
  | 'not_found'
  | 'invalid'
  | 'throttled'
  | 'server'
  | 'network'
  | 'timeout'
  | 'breaker_open'
  | 'config';

const TRANSIENT: ReadonlySet<VaultFailureKind> = new Set(['throttled', 'server', 'network', 'timeout']);

/** A vault, auth or resolution failure. Exit 3. The message is ours: never a raw SDK message. */
export class VaultError extends VaultMcpError {
  readonly kind: VaultFailureKind;
  /** HTTP status when the vault answered, else undefined. */
  readonly status?: number;
  /** Retry-After from a 429, in ms. */
  readonly retryAfterMs?: number;
  constructor(
    message: string,
    options: { kind: VaultFailureKind; status?: number; retryAfterMs?: number; hint?: string; cause?: unknown },
  ) {
    super(message, { exitCode: ExitCode.VAULT, hint: options.hint, cause: options.cause });
    this.kind = options.kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** True for failures worth retrying (429, 5xx, network, timeout). */
  get transient(): boolean {
    return TRANSIENT.has(this.kind);
  }

  /** True for failures that prove the secret is gone or not ours (401/403/404): cached copies must be purged. */
  get revokes(): boolean {
    return this.kind === 'auth' || this.kind === 'forbidden' || this.kind === 'not_found';
  }
}

/** One or more required secrets could not be resolved. Exit 3. `failures` names each secret and why. */
export class ResolutionError extends VaultMcpError {
  readonly failures: ReadonlyArray<{ envVar: string; reference: string; reason: string }>;
  constructor(failures: ReadonlyArray<{ envVar: string; reference: string; reason: string }>, hint?: string) {
    const list = failures.map((f) => `${f.envVar} (${f.reference}): ${f.reason}`).join('; ');
    super(`could not resolve ${failures.length} required secret${failures.length === 1 ? '' : 's'}: ${list}`, {
      exitCode: ExitCode.VAULT,
      hint,
    });
    this.failures = failures;
  }
}

/** The target command of a service could not be found or executed. Exit 127. */
export class CommandNotFoundError extends VaultMcpError {
  constructor(command: string, hint?: string) {
    super(`command not found: ${command}`, {
      exitCode: ExitCode.NOT_FOUND,
      hint: hint ?? 'install it or fix target_command in the service definition',
    });
  }
}

/** Type guard usable across bundle boundaries (minifiers rename classes). */
export function isVaultMcpError(err: unknown): err is VaultMcpError {
  return (
    err instanceof VaultMcpError ||
    (typeof err === 'object' && err !== null && typeof (err as { exitCode?: unknown }).exitCode === 'number' &&
      typeof (err as { message?: unknown }).message === 'string')
  );
}
