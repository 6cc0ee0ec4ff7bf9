import { EventEmitter } from 'node:events';
import type { AppContext } from '../../core/context.js';
import { ExitCode, UsageError, VaultMcpError } from '../../core/errors.js';
import type { Settings } from '../../core/config/settings/index.js';
import type { SecretSpec } from '../../core/config/services/select.js';
import type { ForwardedSignal, LaunchEvent, MessageFilter, SignalSource } from '../../core/launcher/index.js';
import type { ResolutionReport, Resolver } from '../../core/resolve/resolver.js';
import { defaultGatewayMapPath, gatewaySelection, loadGatewayMap } from '../../core/gateway/map.js';
import { formatSecretsPayload } from '../../core/gateway/payload.js';
import { createSecretsFifo, fifoBaseDirs, sweepStaleFifoDirs, type SecretsFifo } from '../../core/gateway/fifo.js';
import { requiredFailures } from '../run/run.js';
import { findDockerMcp } from './docker-mcp.js';

/**
 * `gateway run`: the Docker MCP gateway's containerised servers get their secrets from OCI Vault. Resolves every
 * secret of the gateway map (same resolver, cache and all-or-nothing rule as `run`), serves them as the
 * gateway's `.env` payload through a FIFO (core/gateway/fifo.ts), and supervises
 * `docker mcp gateway run --secrets FIFO GATEWAY_ARGS…` until it exits. Behaviour: docs/gateway.md.
 */

export interface GatewayRunRequest {
  /** `--env`; undefined → OCI_VAULT_ENVIRONMENT → default names. */
  env?: string;
  /** `--map FILE`; default ~/.config/oci-vault-mcp/gateway.yaml. */
  map?: string;
  /** `--config FILE` (resolver.yaml). */
  config?: string;
  /** `--watch`: restart the gateway when a mapped secret's CURRENT version changes. */
  watch: boolean;
  /** `--interval`: seconds between metadata checks with `--watch`. */
  intervalS: number;
  /** `--allow-verbose`: let `--verbose` through to the gateway (it logs the first 4 characters of each secret). */
  allowVerbose: boolean;
  /** `--stop-timeout`: seconds between SIGTERM and SIGKILL when stopping the gateway. */
  stopTimeoutS: number;
  /** Arguments after `--`, passed to `docker mcp gateway run` after `--secrets FIFO`. */
  gatewayArgs: string[];
  offline: boolean;
  refresh: boolean;
  verbose: boolean;
}

/** What happens during a gateway run, for stderr. No event carries a value. */
export type GatewayEvent =
  | { type: 'warning'; message: string }
  | { type: 'info'; message: string }
  | { type: 'served'; count: number }
  | { type: 'launcher'; event: LaunchEvent };

/** The outside pieces `runGateway` takes (tests pass their own signal source). */
export interface GatewayDependencies {
  onEvent?: (e: GatewayEvent) => void;
  /** Signal source (default `process`): SIGINT/SIGTERM/SIGHUP stop the gateway. */
  signals?: SignalSource;
  /** Called once the FIFO exists, with it (the CLI registers a process 'exit' fallback that removes it). */
  onFifo?: (fifo: SecretsFifo) => void;
  /** Message filters on the gateway's stdout (its stdio transport's messages to the client), e.g. the leak guard. */
  filters?: readonly MessageFilter[];
}

/** Variables of ours that are credentials: never passed to the gateway. */
export const WITHHELD_FROM_GATEWAY: ReadonlySet<string> = new Set(['VAULTMCP_CACHE_KEY', 'OCI_CLI_PASSPHRASE']);

/** Gateway flags we refuse or own (reference/docker-gateway-2026.md). */
function checkGatewayArgs(args: readonly string[], allowVerbose: boolean, warn: (m: string) => void): void {
  for (const a of args) {
    const flag = a.split('=')[0]!;
    if (flag === '--secrets') {
      throw new UsageError('--secrets is set by docker vaultmcp (the FIFO with the vault values)', 'drop --secrets from the gateway arguments; map the secrets with `docker vaultmcp gateway map add`');
    }
    if (flag === '--profile') {
      throw new UsageError('--profile selects the gateway\'s profile mode, which reads secrets only from Docker\'s secrets engine, never from --secrets', 'use --servers and --catalog (legacy file mode) instead of --profile');
    }
    if (flag === '--verbose' && a !== '--verbose=false') {
      if (!allowVerbose) {
        throw new UsageError('the gateway logs the first 4 characters of every secret with --verbose', 'drop --verbose, or pass --allow-verbose to accept that');
      }
      warn('--verbose: the gateway will log the first 4 characters of every secret on its stderr');
    }
  }
}

/**
 * Runs the gateway under supervision.
 * @returns the gateway's exit code (128+N when signal N ended it)
 * @throws UsageError/ConfigError (2): bad arguments, map or settings, docker mcp too old; ResolutionError (3): a
 *   required secret failed (nothing started); VaultMcpError 127: docker or docker mcp missing
 */
export async function runGateway(ctx: AppContext, request: GatewayRunRequest, deps: GatewayDependencies = {}): Promise<number> {
  const emit = (e: GatewayEvent) => {
    try {
      deps.onEvent?.(e);
    } catch {
      /* reporting never breaks the run */
    }
  };
  const warn = (message: string) => emit({ type: 'warning', message });
  if (request.offline && request.refresh) throw new UsageError('--offline and --refresh contradict each other', 'pass one of them');
  if (request.offline && request.watch) throw new UsageError('--watch needs the vault; it cannot be combined with --offline', 'drop one of them');
  if (!(request.intervalS >= 1)) throw new UsageError('--interval must be at least 1 second', 'e.g. --interval 60');
  if (!(request.stopTimeoutS >= 0)) throw new UsageError('--stop-timeout must be 0 or more seconds', 'e.g. --stop-timeout 10');
  checkGatewayArgs(request.gatewayArgs, request.allowVerbose, warn);

  const { expandPath } = await import('../../core/config/paths.js');
  const mapFile = request.map ? expandPath(request.map, ctx) : defaultGatewayMapPath(ctx);
  const [{ loadSettings }, map] = await Promise.all([import('../../core/config/settings/index.js'), loadGatewayMap(mapFile)]);
  const loaded = await loadSettings(ctx, { configFile: request.config });
  for (const w of loaded.warnings) warn(w);
  const selection = gatewaySelection(map, mapFile, request.env ?? loaded.environment, loaded.settings.environments);
  for (const w of selection.warnings) warn(w);
  if (selection.specs.length === 0) warn(`${mapFile} maps no secrets: the gateway gets an empty secrets file`);

  const { plugin, warning } = await findDockerMcp(ctx);
  if (warning) warn(warning);
  const { resolveExecutable } = await import('../../core/launcher/index.js');
  // Docker's own tool gets our environment as it is (DOCKER_HOST, DOCKER_CONFIG, DOCKER_MCP_* must reach it),
  // except the two credentials of ours that may live there: the cache key and the OCI key passphrase.
  const childEnv = Object.fromEntries(
    Object.entries(ctx.env).filter((e): e is [string, string] => e[1] !== undefined && !WITHHELD_FROM_GATEWAY.has(e[0])),
  );
  const dockerFile = resolveExecutable('docker', childEnv, ctx.cwd);
  if (request.verbose) emit({ type: 'info', message: `docker mcp ${plugin.version ?? '?'} at ${plugin.path}` });

  const { createResolver } = await import('../../core/resolve/resolver.js');
  const resolver = await createResolver({ settings: loaded.settings, ctx });
  let fifo: SecretsFifo | undefined;
  try {
    const first = await resolveAll(resolver, selection.specs, { offline: request.offline, refresh: request.refresh });
    for (const w of first.warnings) warn(w);
    let served = versionsOf(first);
    const payload = payloadOf(first);

    const bases = fifoBaseDirs(ctx.env);
    for (const removed of await sweepStaleFifoDirs(bases)) emit({ type: 'info', message: `removed ${removed}, left by a gateway run that was killed` });
    try {
      fifo = await createSecretsFifo({ baseDirs: bases, payload, onServed: (count) => emit({ type: 'served', count }) });
    } finally {
      payload.fill(0);
    }
    deps.onFifo?.(fifo);

    // Signals: ours stop the gateway (SIGTERM to docker, which cancels the plugin; SIGKILL to its process group
    // after the grace period: a gateway blocked in open() ignores SIGTERM).
    const signals = deps.signals ?? (process as unknown as SignalSource);
    const relay = new EventEmitter();
    let pid: number | undefined;
    let stopping = false;
    let restartWanted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stopChild = (signal: NodeJS.Signals) => {
      relay.emit(signal, signal);
      clearTimeout(killTimer);
      const target = pid;
      killTimer = setTimeout(() => {
        if (target === undefined) return;
        emit({ type: 'warning', message: `the gateway did not stop within ${request.stopTimeoutS} s of ${signal}; sending SIGKILL` });
        try {
          process.kill(-target, 'SIGKILL');
        } catch {
          try {
            process.kill(target, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }, request.stopTimeoutS * 1000);
      killTimer.unref();
    };
    const onSignal = (signal: NodeJS.Signals) => {
      stopping = true;
      stopChild(signal);
    };
    const STOP = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const satisfies readonly ForwardedSignal[];
    for (const s of STOP) signals.on(s, onSignal);

    // --watch: metadata calls only (GetSecret's currentVersionNumber), never a value, until a version changes.
    let watchTimer: NodeJS.Timeout | undefined;
    let watching = request.watch;
    const watcher = request.watch ? await versionWatcher(loaded.settings, ctx, first, selection.specs, warn) : undefined;
    const scheduleWatch = () => {
      if (!watching || !watcher) return;
      watchTimer = setTimeout(async () => {
        try {
          const changed = await watcher.changed(served);
          if (changed.length > 0 && !stopping) {
            const next = await resolveAll(resolver, selection.specs, { refresh: true });
            const nextPayload = payloadOf(next);
            fifo!.setPayload(nextPayload);
            nextPayload.fill(0);
            served = versionsOf(next);
            emit({ type: 'info', message: `${changed.join(', ')} changed in the vault; restarting the gateway with the new value${changed.length > 1 ? 's' : ''}` });
            restartWanted = true;
            stopChild('SIGTERM');
            return; // rescheduled after the restart
          }
        } catch (err) {
          warn(`--watch: ${(err as Error).message.split('\n')[0]} (the gateway keeps running with the values it has; next check in ${request.intervalS} s)`);
        }
        scheduleWatch();
      }, request.intervalS * 1000);
      watchTimer.unref();
    };

    const { launch } = await import('../../core/launcher/index.js');
    // With the stdio transport our stdin is the client's; with sse/streaming the gateway listens on a port, and
    // our stdin (often /dev/null under a service manager) must not stop it when it ends.
    const { HandshakeReplay } = await import('./handshake-replay.js');
    const { PassThrough } = await import('node:stream');
    const replay = gatewayTransport(request.gatewayArgs) === 'stdio' ? new HandshakeReplay(ctx.stdin) : undefined;
    let stdin = replay?.stdin ?? new PassThrough();
    try {
      for (;;) {
        scheduleWatch();
        const result = await launch({
          command: ['docker', 'mcp', 'gateway', 'run', '--secrets', fifo.path, ...request.gatewayArgs],
          file: dockerFile,
          env: childEnv,
          cwd: ctx.cwd,
          stdin,
          stdout: ctx.stdout,
          stderr: 'inherit',
          signals: relay as unknown as SignalSource,
          stopTimeoutMs: request.stopTimeoutS * 1000,
          filters: [...(replay ? [replay.filter] : []), ...(deps.filters ?? [])],
          onEvent: (e) => {
            if (e.type === 'spawned') {
              pid = e.pid;
              // a stop asked for while it was starting (before the launcher listened for signals)
              if (stopping) setImmediate(() => stopChild('SIGTERM'));
            }
            emit({ type: 'launcher', event: e });
          },
        });
        clearTimeout(killTimer);
        clearTimeout(watchTimer);
        pid = undefined;
        if (restartWanted && !stopping && !result.stdinEnded && !replay?.ended) {
          restartWanted = false;
          // the client's stdio session goes on: the new gateway gets its handshake first
          stdin = replay ? replay.restart() : new PassThrough();
          continue;
        }
        watching = false;
        return result.exitCode;
      }
    } finally {
      watching = false;
      clearTimeout(watchTimer);
      clearTimeout(killTimer);
      for (const s of STOP) signals.off(s, onSignal);
      await watcher?.close();
    }
  } finally {
    await fifo?.close();
    await resolver.close().catch(() => {});
  }
}

/**
 * The gateway's `--transport` among its arguments (`stdio` when absent; the gateway's default).
 * @param args GATEWAY_ARGS
 */
export function gatewayTransport(args: readonly string[]): string {
  let transport = 'stdio';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--transport' && i + 1 < args.length) transport = args[++i]!;
    else if (a.startsWith('--transport=')) transport = a.slice('--transport='.length);
  }
  return transport;
}

/** Resolves all specs; a failed required secret is a ResolutionError (exit 3) naming each one. */
async function resolveAll(resolver: Resolver, specs: SecretSpec[], options: { offline?: boolean; refresh?: boolean }): Promise<ResolutionReport> {
  const report = await resolver.resolve(specs, options);
  if (report.failures.some((f) => f.required)) throw requiredFailures(report);
  return report;
}

function payloadOf(report: ResolutionReport): Buffer {
  try {
    return formatSecretsPayload(report.secrets.map((s) => [s.envVar, s.value] as const));
  } catch (err) {
    throw new VaultMcpError((err as Error).message, { exitCode: ExitCode.VAULT, hint: 'store the value as one line without surrounding whitespace (e.g. `printf %s "$VALUE" | docker vaultmcp secret upload NAME`)' });
  }
}

/** Catalog secret name → the version number that was served (undefined when unknown). */
function versionsOf(report: ResolutionReport): Map<string, { secretId?: string; versionNumber?: number }> {
  return new Map(report.secrets.map((s) => [s.envVar, { secretId: s.secretId, versionNumber: s.versionNumber }]));
}

/**
 * The `--watch` check: for every mapped secret that follows CURRENT (no version or stage pin), GetSecret's
 * `currentVersionNumber` (SecretLocator: metadata calls only) compared with the version served.
 */
async function versionWatcher(
  settings: Settings,
  ctx: AppContext,
  first: ResolutionReport,
  specs: readonly SecretSpec[],
  warn: (m: string) => void,
): Promise<{ changed(served: Map<string, { secretId?: string; versionNumber?: number }>): Promise<string[]>; close(): Promise<void> }> {
  const [{ createVaultAccess }, { SecretLocator }] = await Promise.all([import('../../core/vault/access.js'), import('../../core/vault/locator.js')]);
  const access = createVaultAccess({ settings, env: ctx });
  const locator = new SecretLocator(access, { vaultId: settings.vault.vault_id, compartmentId: settings.vault.compartment_id });
  const followed = specs.filter((s) => s.ref.versionNumber === undefined && (s.ref.stage === undefined || s.ref.stage === 'CURRENT'));
  const pinned = specs.filter((s) => !followed.includes(s)).map((s) => s.envVar);
  if (pinned.length) warn(`--watch: ${pinned.join(', ')} pinned to a version or stage; not watched`);
  const ids = new Map<string, string>();
  for (const s of first.secrets) if (s.secretId) ids.set(s.envVar, s.secretId);
  return {
    async changed(served) {
      const out: string[] = [];
      for (const spec of followed) {
        const was = served.get(spec.envVar);
        if (!was) continue; // an optional secret left out: not watched
        let id = ids.get(spec.envVar) ?? was.secretId;
        if (!id) {
          id = (await locator.locate(spec.ref)).id;
          ids.set(spec.envVar, id);
        }
        const info = await locator.get(id);
        if (info.currentVersionNumber === undefined) continue;
        // a copy served without its version number: this first answer becomes the baseline
        if (was.versionNumber === undefined) was.versionNumber = info.currentVersionNumber;
        else if (info.currentVersionNumber !== was.versionNumber) out.push(spec.envVar);
      }
      return out;
    },
    async close() {},
  };
}
