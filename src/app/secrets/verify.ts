import type { AppContext } from '../../core/context.js';
import { CommandNotFoundError, UsageError, VaultError, VaultMcpError } from '../../core/errors.js';
import { buildChildEnv } from '../../core/launcher/env.js';
import { resolveExecutable } from '../../core/launcher/executable.js';
import { createRunDirectory, serverWorkdir } from '../../core/launcher/workdir.js';
import { formatSecretRef } from '../../core/vault/refs.js';
import type { SecretSpec, ServiceDefinition } from '../../core/config/services/index.js';
import type { SecretAdmin } from '../../core/vault/admin.js';
import type { SecretInfo, WriteResult } from '../../core/vault/metadata.js';

/**
 * Rotation with verification (`secret rotate --verify SERVICE`): the service's MCP server is started with the
 * NEW value and must answer `initialize` and `tools/list` (official MCP SDK client over stdio) within a timeout;
 * otherwise the previous version is made CURRENT again. Values go to the server through its environment only.
 */

/** Default time the server gets to answer initialize + tools/list, ms. */
export const DEFAULT_VERIFY_TIMEOUT_MS = 20_000;

/** What a successful verification saw. */
export interface VerifyReport {
  /** serverInfo.name from initialize, when the server sent one */
  serverName?: string;
  serverVersion?: string;
  /** number of tools from tools/list */
  tools: number;
  /** wall time from spawn to tools/list answer, ms */
  ms: number;
}

/** The server did not come up with the new value. `reason` is one line without secret values. */
export class VerificationError extends VaultMcpError {
  readonly reason: string;
  constructor(reason: string) {
    super(`the MCP server did not pass verification: ${reason}`, { exitCode: 1 });
    this.reason = reason;
  }
}

/**
 * Starts `command` with exactly `env` and checks it speaks MCP: `initialize`, then `tools/list`, both within
 * `timeoutMs` in total (core/mcp/probe.ts, the same probe as doctor's handshake check). The process is always
 * stopped afterwards. Its stderr is kept (last line, redacted of `secretValues`) to explain a failure.
 * @throws VerificationError with a one-line reason (exit 1): command not found / not executable, no answer
 *   within N s, interrupted, the server exited before answering (exit code N), a JSON-RPC error; plus the
 *   server's last stderr line
 */
export async function verifyMcpServer(options: {
  command: string[];
  env: Record<string, string>;
  /** the server's working directory (serverWorkingDirectory, as `run` uses) */
  cwd: string;
  timeoutMs?: number;
  /** values to hide from anything we report (the injected secrets) */
  secretValues: string[];
  /** aborts the verification (e.g. Ctrl-C): the server is stopped and VerificationError('interrupted') thrown */
  signal?: AbortSignal;
}): Promise<VerifyReport> {
  const { probeMcpServer, McpProbeError } = await import('../../core/mcp/probe.js');
  const timeoutMs = options.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
  const [command, ...args] = options.command;
  if (!command) throw new VerificationError('the service has no target_command');
  const cwd = options.cwd;
  // resolved as `run` does (absolute PATH entries only), not by the spawn's own PATH search, which would also try
  // relative entries such as '.' against the current directory
  let file: string;
  try {
    file = resolveExecutable(command, options.env, cwd);
  } catch (err) {
    throw new VerificationError(err instanceof CommandNotFoundError ? `command not found: ${command}` : `command not executable: ${command}`);
  }
  try {
    const r = await probeMcpServer(
      { file, args, env: options.env, cwd },
      { timeoutMs, signal: options.signal, secretValues: options.secretValues, clientName: 'docker-vaultmcp-verify', clientVersion: '1' },
    );
    return { serverName: r.serverName, serverVersion: r.serverVersion, tools: r.toolCount, ms: r.ms };
  } catch (err) {
    if (!(err instanceof McpProbeError)) throw new VerificationError('the MCP handshake failed');
    switch (err.kind) {
      case 'not-found':
        throw new VerificationError(`command not found: ${command}`);
      case 'not-executable':
        throw new VerificationError(`command not executable: ${command}`);
      case 'aborted':
        throw new VerificationError('interrupted before the server was verified');
      default:
        throw new VerificationError(err.reason);
    }
  }
}

/** The last non-blank line of a stderr tail, never a cut first line (core/mcp/probe.ts). */
export { lastStderrLine } from '../../core/mcp/probe.js';

/**
 * The service's secrets that read `secret` at its CURRENT version (the ones that must get the new value), and
 * the others (resolved normally, including this secret pinned to an older version or another stage).
 * @param defaultVaultId settings `vault.vault_id`, the vault of plain-name references
 */
export function splitSpecsForSecret(specs: SecretSpec[], secret: SecretInfo, defaultVaultId: string | undefined): { target: SecretSpec[]; others: SecretSpec[] } {
  const target: SecretSpec[] = [];
  const others: SecretSpec[] = [];
  for (const spec of specs) {
    const r = spec.ref;
    const same =
      (r.kind === 'name' && r.name === secret.name && (!defaultVaultId || defaultVaultId === secret.vaultId)) ||
      (r.kind === 'vault' && r.vaultId === secret.vaultId && r.name === secret.name) ||
      (r.kind === 'compartment' && r.compartmentId === secret.compartmentId && r.name === secret.name) ||
      (r.kind === 'ocid' && r.secretId === secret.id);
    const readsCurrent = r.versionNumber === undefined && (r.stage === undefined || r.stage === 'CURRENT' || r.stage === 'LATEST');
    (same && readsCurrent ? target : others).push(spec);
  }
  return { target, others };
}

/** Progress of a verified rotation, for stderr (never values). */
export type RotateEvent =
  | { type: 'written'; versionNumber: number; previousVersionNumber?: number }
  | { type: 'verifying'; service: string; command: string }
  | { type: 'verified'; report: VerifyReport }
  | { type: 'rolling-back'; versionNumber: number };

/** Result of a verified rotation that succeeded. */
export interface VerifiedRotation extends WriteResult {
  verify: VerifyReport;
}

/** Verification failed and the previous version is CURRENT again. Exit 1. */
export class RolledBackError extends VaultMcpError {
  constructor(
    readonly secretName: string,
    readonly failedVersion: number,
    readonly restoredVersion: number,
    readonly reason: string,
  ) {
    super(
      `verification failed: ${reason}; rolled back: version ${restoredVersion} of '${secretName}' is CURRENT again ` +
        `(the new version ${failedVersion} is kept as PREVIOUS, not used by services)`,
      { exitCode: 1, hint: 'fix the value or the service and rotate again; `docker vaultmcp secret versions ' + secretName + '` shows the stages' },
    );
  }
}

/**
 * Writes `bytes` as the new CURRENT version of `secret`, then verifies `service` with it; on failure promotes the
 * previous version back (UpdateSecret currentVersionNumber).
 * Everything that can fail without a write (service has no reference to the secret, other secrets unresolvable)
 * fails before the write.
 * @param resolveOthers resolves the service's other secrets (env var → value)
 * @throws UsageError (exit 2) when the service does not read this secret at CURRENT; RolledBackError (exit 1)
 *   after a rollback; VaultError (exit 3) when the write or the rollback fails (the message says which state
 *   the secret is in)
 */
export async function rotateVerified(options: {
  admin: SecretAdmin;
  ctx: AppContext;
  secret: SecretInfo;
  bytes: Buffer;
  service: ServiceDefinition;
  specs: SecretSpec[];
  overrides: Record<string, string>;
  defaultVaultId?: string;
  resolveOthers: (specs: SecretSpec[]) => Promise<Record<string, string>>;
  timeoutMs?: number;
  /** aborts the verification (Ctrl-C): the rollback still runs */
  signal?: AbortSignal;
  onEvent?: (e: RotateEvent) => void;
}): Promise<VerifiedRotation> {
  const { admin, secret, service } = options;
  const { target, others } = splitSpecsForSecret(options.specs, secret, options.defaultVaultId);
  if (target.length === 0) {
    const pinned = options.specs.filter((s) => 'name' in s.ref && s.ref.name === secret.name);
    throw new UsageError(
      `service '${service.name}' does not read secret '${secret.name}' at its CURRENT version` +
        (pinned.length ? ` (${pinned.map((s) => `${s.envVar} → ${formatSecretRef(s.ref)}`).join(', ')})` : '') +
        '; nothing was written',
      `check \`docker vaultmcp service show ${service.name}\`, or rotate without --verify`,
    );
  }
  const otherValues = await options.resolveOthers(others);
  const newValue = options.bytes.toString('utf8');
  const injected = Object.fromEntries(target.map((s) => [s.envVar, newValue]));
  const { env } = buildChildEnv({ parent: options.ctx.env, passthrough: service.passthrough_env, overrides: options.overrides, secrets: { ...otherValues, ...injected } });

  if (options.signal?.aborted) throw new VaultMcpError('interrupted; nothing was written', { exitCode: 130 });
  // a new empty directory of its own, as `run` gives the server; made before the write (a bad `cwd`: nothing written)
  const runDir = await createRunDirectory(await serverWorkdir(options.ctx, service.cwd));
  const written = await admin.addVersion(secret, options.bytes).catch(async (err: unknown) => {
    await runDir.remove();
    throw err;
  });
  options.onEvent?.({ type: 'written', versionNumber: written.versionNumber, previousVersionNumber: written.previousVersionNumber });
  options.onEvent?.({ type: 'verifying', service: service.name, command: service.target_command[0] ?? '' });
  try {
    const report = await verifyMcpServer({
      command: service.target_command,
      env,
      cwd: runDir.path,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      secretValues: [newValue, ...Object.values(otherValues)],
    }).finally(() => runDir.remove());
    options.onEvent?.({ type: 'verified', report });
    return { ...written, verify: report };
  } catch (err) {
    const reason = err instanceof VerificationError ? err.reason : 'verification failed';
    const previous = written.previousVersionNumber;
    if (previous === undefined) {
      throw new VaultError(`verification failed (${reason}) and there is no previous version to roll back to; version ${written.versionNumber} stays CURRENT`, { kind: 'invalid' });
    }
    options.onEvent?.({ type: 'rolling-back', versionNumber: previous });
    try {
      await admin.promote(secret.id, previous);
    } catch (rollbackErr) {
      const why = rollbackErr instanceof VaultMcpError ? rollbackErr.message : 'unknown error';
      throw new VaultError(
        `verification failed (${reason}) and the rollback failed too (${why}): version ${written.versionNumber} is still CURRENT`,
        {
          kind: rollbackErr instanceof VaultError ? rollbackErr.kind : 'network',
          hint: `make version ${previous} current again with \`oci vault secret update-base64 --secret-id ${secret.id} --current-version-number ${previous}\` or in the OCI console`,
        },
      );
    }
    throw new RolledBackError(secret.name, written.versionNumber, previous, reason);
  }
}
