import { spawn, type ChildProcess } from 'node:child_process';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { deserializeMessage, serializeMessage, STDIO_DEFAULT_MAX_BUFFER_SIZE } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { redactSecretEncodings } from '../mask.js';

/**
 * The one MCP handshake probe (doctor's handshake check, `secret rotate --verify`): `initialize`, then
 * `tools/list`, with the official MCP SDK client (public API only). Two layers:
 * - {@link probeMcpTransport} speaks MCP over any SDK `Transport` (unit-tested with the SDK's InMemoryTransport);
 * - {@link probeMcpServer} spawns a stdio server itself (node:child_process) and wraps its pipes in
 *   {@link ChildStdioTransport}, so it knows the exit code, keeps a stderr tail and can kill a hung server's whole
 *   process group without touching private SDK fields.
 * The stdio rules are those of the MCP specification (2025-06-18, Transports § stdio: one JSON-RPC message per
 * line on stdout, nothing else; logs on stderr; Lifecycle § Shutdown: close stdin, wait, SIGTERM, SIGKILL).
 */

/** What a successful probe saw (no secret values). */
export interface ProbeResult {
  /** `serverInfo.name` / `.version` from the initialize result */
  serverName?: string;
  serverVersion?: string;
  /** protocol version the server answered with */
  protocolVersion?: string;
  /** number of tools in the tools/list result (first page) */
  toolCount: number;
  /** wall time from start (spawn) to the tools/list answer, ms */
  ms: number;
  /** the first stdout line that was not a JSON-RPC message (masked, at most 80 characters); stdio servers must print none */
  banner?: string;
}

/** Why a probe failed. */
export type ProbeFailureKind =
  /** the executable does not exist (spawn ENOENT) */
  | 'not-found'
  /** the file exists but cannot be executed (spawn EACCES) */
  | 'not-executable'
  /** the process could not be started for another reason */
  | 'start-failed'
  /** no answer within the probe's time limit */
  | 'timeout'
  /** the caller's signal fired */
  | 'aborted'
  /** the connection closed (the server exited) before the answer */
  | 'closed'
  /** the server answered with a JSON-RPC error */
  | 'error-response'
  /** anything else the SDK client rejected (invalid result, unsupported protocol version) */
  | 'protocol';

/** The probe failed. `reason` is one line without secret values (redacted of the values the caller named). */
export class McpProbeError extends Error {
  constructor(
    readonly kind: ProbeFailureKind,
    readonly reason: string,
    readonly details: {
      /** the request that was pending */
      phase?: 'initialize' | 'tools/list';
      /** JSON-RPC error code of an error response */
      code?: number;
      /** the process's exit code / signal, when it exited (probeMcpServer) */
      exitCode?: number | null;
      exitSignal?: NodeJS.Signals | null;
      /** the first non-JSON-RPC stdout line, masked and truncated (probeMcpServer) */
      banner?: string;
      /** the last stderr line, redacted (probeMcpServer) */
      stderrLine?: string;
    } = {},
  ) {
    super(reason);
    this.name = 'McpProbeError';
  }
}

/** Options common to both probe layers. */
export interface ProbeOptions {
  /** time for initialize + tools/list together, ms (default: none of ours; the caller's `signal` bounds it) */
  timeoutMs?: number;
  /** aborts the probe (kind `aborted`) */
  signal?: AbortSignal;
  /** values to hide from any reason we report (the injected secrets) */
  secretValues?: readonly string[];
  /** clientInfo sent in initialize */
  clientName?: string;
  clientVersion?: string;
}

/** Longest time setTimeout takes; the SDK's own per-request timeout is set to this when we bound nothing. */
const MAX_TIMER_MS = 2_147_483_647;
/** Longest reason fragment quoted from a server (error message, stderr line), characters. */
const QUOTE_CHARS = 300;

/**
 * Runs `initialize` then `tools/list` over `transport` with the SDK `Client` (which starts the transport) and
 * closes the client afterwards, whatever happened.
 * @param transport any SDK Transport, not yet started
 * @param options.timeoutMs limit for both requests together, ms
 * @param options.onFailure called after a failure, before the client (and so the transport) is closed: lets
 *   probeMcpServer kill a hung server instead of giving it the graceful shutdown
 * @returns server info, tool count and the time taken (`banner` is left to the stdio layer)
 * @throws McpProbeError (kind timeout, aborted, closed, error-response, protocol, or the transport's own
 *   McpProbeError from `start`)
 */
export async function probeMcpTransport(transport: Transport, options: ProbeOptions & { onFailure?: (err: McpProbeError) => void } = {}): Promise<ProbeResult> {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const client = new Client({ name: options.clientName ?? 'docker-vaultmcp', version: options.clientVersion ?? '0.0.0' }, { capabilities: {} });
  let protocolVersion: string | undefined;
  const setProtocolVersion = transport.setProtocolVersion?.bind(transport);
  transport.setProtocolVersion = (v: string) => {
    protocolVersion = v;
    setProtocolVersion?.(v);
  };
  const deadline = new AbortController();
  const timeoutMs = options.timeoutMs;
  const timer = timeoutMs !== undefined ? setTimeout(() => deadline.abort(new ProbeAbort('timeout')), timeoutMs) : undefined;
  const onAbort = () => deadline.abort(new ProbeAbort('aborted'));
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  // the SDK rejects a pending request when its signal fires; the race also covers a transport start that hangs
  const stopped = new Promise<never>((_, reject) => {
    if (deadline.signal.aborted) reject(deadline.signal.reason);
    deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason), { once: true });
  });
  stopped.catch(() => undefined);
  const requestOptions = { signal: deadline.signal, timeout: Math.min(timeoutMs ?? MAX_TIMER_MS, MAX_TIMER_MS) };
  let phase: 'initialize' | 'tools/list' = 'initialize';
  const t0 = performance.now();
  try {
    const work = (async () => {
      await client.connect(transport, requestOptions);
      phase = 'tools/list';
      const tools = await client.listTools(undefined, requestOptions);
      const info = client.getServerVersion();
      return { serverName: info?.name, serverVersion: info?.version, protocolVersion, toolCount: tools.tools.length, ms: Math.round(performance.now() - t0) };
    })();
    work.catch(() => undefined); // when the deadline wins, the abandoned handshake rejects later: not unhandled
    return await Promise.race([work, stopped]);
  } catch (err) {
    const failure = probeFailure(err, phase, timeoutMs, options.secretValues ?? []);
    options.onFailure?.(failure);
    throw failure;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await client.close().catch(() => undefined);
  }
}

class ProbeAbort extends Error {
  constructor(readonly why: 'timeout' | 'aborted') {
    super(why);
  }
}

function probeFailure(err: unknown, phase: 'initialize' | 'tools/list', timeoutMs: number | undefined, secretValues: readonly string[]): McpProbeError {
  if (err instanceof McpProbeError) return err;
  if (err instanceof ProbeAbort) {
    return err.why === 'timeout'
      ? new McpProbeError('timeout', `no answer to initialize/tools/list within ${formatMs(timeoutMs ?? 0)}`, { phase })
      : new McpProbeError('aborted', `interrupted before the server answered ${phase}`, { phase });
  }
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : '';
  if (typeof e?.code === 'number') {
    // McpError: the SDK prefixes "MCP error <code>: "
    const text = quote(message.replace(/^(MCP error -?\d+: )+/, ''), secretValues);
    if (e.code === -32000 && /connection closed/i.test(message)) {
      return new McpProbeError('closed', `the server closed the connection before answering ${phase}`, { phase });
    }
    if (e.code === -32001) return new McpProbeError('timeout', `no answer to ${phase} in time`, { phase });
    return new McpProbeError('error-response', `the server answered ${phase} with JSON-RPC error ${e.code}${text ? ` (${text})` : ''}`, { phase, code: e.code });
  }
  const text = quote(message, secretValues);
  return new McpProbeError('protocol', `MCP handshake failed during ${phase}${text ? ` (${text})` : ''}`, { phase });
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/** One line of foreign text, redacted of `secretValues`, at most QUOTE_CHARS characters. */
function quote(text: string, secretValues: readonly string[]): string {
  return redactSecretEncodings(text, secretValues).replace(/\s+/g, ' ').trim().slice(0, QUOTE_CHARS);
}

/** How much of the server's stderr is kept (the last line of it is shown, redacted), characters. */
export const STDERR_TAIL_CHARS = 4096;

/**
 * The last non-blank line of a stderr tail. When the tail was cut, its first line is a fragment that may start in
 * the middle of a secret value, which redaction (whole values only) would not recognise: it is never shown.
 */
export function lastStderrLine(tail: string, truncated: boolean): string {
  const lines = tail.split('\n');
  if (truncated) lines.shift();
  return lines.filter((l) => l.trim()).at(-1) ?? '';
}

/** How a server is started: an absolute executable (see core/launcher/executable.ts), its arguments, env, cwd. */
export interface StdioServerCommand {
  file: string;
  args: readonly string[];
  /** the server's whole environment (secrets included) */
  env: Record<string, string>;
  cwd: string;
}

/**
 * An SDK client Transport over a child process we spawn ourselves: stdin/stdout carry newline-delimited JSON-RPC
 * (the SDK's public `serializeMessage` / `deserializeMessage`). A stdout line that is not a JSON-RPC message is
 * not passed on; the first one is kept in `banner` (secret values masked, at most 80 characters). stderr is kept
 * as a 4 KiB tail for {@link lastStderrLine}. On POSIX the child leads its own process group, so `kill` also
 * reaches what it started (npx → node).
 */
export class ChildStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** first non-JSON-RPC stdout line, masked and truncated */
  banner?: string;
  /** exit code / signal once the process has exited */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  private child?: ChildProcess;
  private stdoutBuffer = '';
  private stderrTail = '';
  private stderrTruncated = false;
  private closed = false;
  private exited?: Promise<void>;
  private killTimer?: NodeJS.Timeout;

  constructor(
    private readonly command: StdioServerCommand,
    private readonly secretValues: readonly string[] = [],
  ) {}

  /**
   * Spawns the server.
   * @throws McpProbeError kind not-found (ENOENT), not-executable (EACCES), start-failed (other spawn errors)
   */
  async start(): Promise<void> {
    if (this.child) throw new Error('ChildStdioTransport already started');
    const { file, args, env, cwd } = this.command;
    const child = spawn(file, [...args], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: process.platform !== 'win32', windowsHide: true });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err: NodeJS.ErrnoException) => {
        const name = file;
        if (err.code === 'ENOENT') reject(new McpProbeError('not-found', `command not found: ${name}`));
        else if (err.code === 'EACCES') reject(new McpProbeError('not-executable', `command not executable: ${name}`));
        else reject(new McpProbeError('start-failed', `cannot start the server (${err.code ?? 'error'})`));
      });
    });
    child.on('error', () => undefined);
    child.stdin!.on('error', () => undefined); // EPIPE when the server is gone; send() reports it
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.stderrTail += chunk;
      if (this.stderrTail.length > STDERR_TAIL_CHARS) {
        this.stderrTail = this.stderrTail.slice(-STDERR_TAIL_CHARS);
        this.stderrTruncated = true;
      }
    });
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        clearTimeout(this.killTimer);
        // 'close' follows once stdout/stderr are drained; a grandchild holding the pipes must not delay us long
        const late = setTimeout(() => this.finish(), 200);
        late.unref();
        resolve();
      });
    });
    child.once('close', () => this.finish());
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [this.child?.stdin, this.child?.stdout, this.child?.stderr]) s?.destroy();
    this.onclose?.();
  }

  private onStdout(chunk: string): void {
    this.stdoutBuffer += chunk;
    let nl: number;
    while ((nl = this.stdoutBuffer.indexOf('\n')) !== -1) {
      const line = this.stdoutBuffer.slice(0, nl).replace(/\r$/, '');
      this.stdoutBuffer = this.stdoutBuffer.slice(nl + 1);
      this.onLine(line);
    }
    if (this.stdoutBuffer.length > STDIO_DEFAULT_MAX_BUFFER_SIZE) {
      this.stdoutBuffer = '';
      this.noteBanner('(a stdout line longer than 10 MiB)');
    }
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch {
      this.noteBanner(line);
      return;
    }
    this.onmessage?.(message);
  }

  private noteBanner(line: string): void {
    if (this.banner !== undefined) return;
    const masked = redactSecretEncodings(line, this.secretValues).replace(/\s+/g, ' ').trim();
    this.banner = masked.length > 80 ? `${masked.slice(0, 77)}...` : masked;
  }

  /**
   * Takes what the server printed on stdout without ending the line (`Server ready` with no newline, then silence)
   * as a banner too, if nothing else was: called once the probe has failed.
   */
  notePartialLine(): void {
    if (this.stdoutBuffer.trim() !== '') this.noteBanner(this.stdoutBuffer);
  }

  /** The last stderr line (a cut first line never), redacted and on one line; '' when there is none. */
  lastStderrLine(): string {
    return quote(lastStderrLine(this.stderrTail, this.stderrTruncated), this.secretValues);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || this.exit) throw new Error('the server is not running');
    await new Promise<void>((resolve, reject) => stdin.write(serializeMessage(message), (err) => (err ? reject(err) : resolve())));
  }

  /**
   * Stops the server at once: SIGTERM to its process group, SIGKILL 2 s later if it is still there. Returns
   * without waiting; `close` waits.
   */
  kill(): void {
    const child = this.child;
    if (!child || this.exit) return;
    signalTree(child, 'SIGTERM');
    this.killTimer ??= setTimeout(() => signalTree(child, 'SIGKILL'), 2000);
    this.killTimer.unref();
  }

  /**
   * Graceful shutdown (MCP Lifecycle § Shutdown, stdio): close stdin, give the server `graceMs` to exit, then
   * SIGTERM, then SIGKILL. Resolves once it exited (or 5 s after the SIGKILL, letting go of the pipes).
   */
  async close(graceMs = 2000): Promise<void> {
    const child = this.child;
    if (!child || !this.exited) return;
    if (!this.exit) {
      child.stdin?.end();
      const grace = setTimeout(() => this.kill(), graceMs);
      const giveUp = new Promise<void>((resolve) => setTimeout(resolve, graceMs + 7000).unref());
      await Promise.race([this.exited, giveUp]);
      clearTimeout(grace);
    }
    this.finish();
  }
}

function signalTree(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Starts an MCP stdio server and probes it ({@link probeMcpTransport}), then stops it: gracefully after a pass
 * (stdin closed, then SIGTERM/SIGKILL), at once after a failure. The server's output is never shown except, in a
 * failure reason, its last stderr line and its first non-JSON-RPC stdout line, both redacted of `secretValues` in
 * every encoding of mask.ts secretEncodings (raw, base64, hex, URL). A server that prints a banner and then never
 * answers is reported by its banner, not as a plain timeout.
 * @param command absolute executable, arguments, the server's whole environment and its working directory
 * @returns ProbeResult; `banner` set when the server printed non-JSON-RPC text on stdout (callers decide whether
 *   that fails: the handshake itself passed)
 * @throws McpProbeError whose `reason` is one line: the cause (command not found / not executable, no answer
 *   within N, interrupted, the server exited before answering X (exit code N), a JSON-RPC error), the banner when
 *   one was printed, and "; its last stderr line: …"
 */
export async function probeMcpServer(command: StdioServerCommand, options: ProbeOptions = {}): Promise<ProbeResult> {
  const secretValues = options.secretValues ?? [];
  const transport = new ChildStdioTransport(command, secretValues);
  try {
    const result = await probeMcpTransport(transport, { ...options, onFailure: () => transport.kill() });
    return { ...result, ...(transport.banner !== undefined ? { banner: transport.banner } : {}) };
  } catch (err) {
    const failure = err instanceof McpProbeError ? err : new McpProbeError('protocol', 'MCP handshake failed');
    if (failure.kind === 'not-found' || failure.kind === 'not-executable' || failure.kind === 'start-failed') throw failure;
    const exit = transport.exit;
    let reason = failure.reason;
    let kind = failure.kind;
    if (exit && (kind === 'closed' || kind === 'protocol')) {
      kind = 'closed';
      reason = `the server exited before answering ${failure.details.phase ?? 'initialize'}`;
    }
    if (exit && kind === 'closed') reason += exit.code !== null ? ` (exit code ${exit.code})` : exit.signal ? ` (killed by ${exit.signal})` : '';
    transport.notePartialLine();
    if (transport.banner !== undefined && kind === 'timeout') {
      // the banner is the likely cause, not a slow server: say so first
      reason = `the server printed "${transport.banner}" on stdout and never answered ${failure.details.phase ?? 'initialize'} (a stdio MCP server must print only JSON-RPC messages there; ${reason})`;
    } else if (transport.banner !== undefined) reason += `; server printed a banner on stdout: ${transport.banner}`;
    const stderrLine = transport.lastStderrLine();
    if (stderrLine) reason += `; its last stderr line: ${stderrLine}`;
    throw new McpProbeError(kind, reason, {
      ...failure.details,
      exitCode: exit?.code,
      exitSignal: exit?.signal,
      banner: transport.banner,
      stderrLine: stderrLine || undefined,
    });
  } finally {
    transport.kill(); // no-op after a graceful close; a last resort otherwise
    await transport.close().catch(() => undefined);
  }
}
