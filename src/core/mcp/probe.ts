import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { redactSecrets } from '../mask.js';

/** Result of an MCP handshake with a server (no secret values). */
export interface HandshakeResult {
  serverName?: string;
  serverVersion?: string;
  protocolVersion?: string;
  toolCount: number;
  /** ms from spawn to the tools/list answer */
  ms: number;
  /** the first non-JSON-RPC line the server printed on stdout (truncated to 80 characters, secrets masked) */
  banner?: string;
}

/**
 * A stdio client transport that spawns the server itself and taps its stdout: every non-empty line must be one
 * JSON-RPC message (the MCP stdio rule). Any other line is recorded in `banner` (truncated, with secret values
 * masked) and not passed on. stderr is drained and discarded (it may carry values).
 */
export class TappedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** first offending stdout line, already truncated and masked */
  banner?: string;
  /** set by the SDK client after `initialize` */
  protocolVersion?: string;
  private child?: ChildProcess;
  private exited = false;

  constructor(
    private readonly file: string,
    private readonly args: readonly string[],
    private readonly env: Record<string, string>,
    private readonly cwd: string,
    private readonly secretValues: readonly string[],
  ) {}

  async start(): Promise<void> {
    const child = spawn(this.file, [...this.args], { env: this.env, cwd: this.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new Error(`cannot start the server (${(err as NodeJS.ErrnoException).code ?? 'error'})`)));
    });
    child.stderr!.resume();
    child.stdin!.on('error', () => {});
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    child.once('exit', () => {
      this.exited = true;
      this.onclose?.();
    });
  }

  private onLine(raw: string): void {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      message = undefined;
    }
    if (typeof message === 'object' && message !== null && (message as { jsonrpc?: unknown }).jsonrpc === '2.0') {
      this.onmessage?.(message as JSONRPCMessage);
      return;
    }
    if (this.banner === undefined) {
      const masked = redactSecrets(line, this.secretValues).trim();
      this.banner = masked.length > 80 ? `${masked.slice(0, 77)}...` : masked;
    }
  }

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed) throw new Error('the server is not running');
    await new Promise<void>((resolve, reject) => stdin.write(JSON.stringify(message) + '\n', (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child || this.exited) return;
    child.stdin?.end();
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killTree(child, 'SIGTERM');
    const timer = setTimeout(() => killTree(child, 'SIGKILL'), 2000);
    await gone;
    clearTimeout(timer);
  }
}

function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    /* already gone */
  }
}

/**
 * Starts an MCP server over stdio with the official MCP SDK client, runs `initialize` and `tools/list`, then
 * stops it. The server gets `env` (including its secrets); nothing it prints is shown except a truncated,
 * masked copy of the first non-JSON stdout line.
 * @param command absolute path of the executable and its arguments
 * @param signal aborts the handshake (the server is stopped)
 * @throws Error with our own one-line message when the server exits early or does not answer
 */
export async function mcpHandshake(
  command: { file: string; args: readonly string[] },
  options: { env: Record<string, string>; cwd: string; secretValues: readonly string[]; signal?: AbortSignal; clientVersion: string },
): Promise<HandshakeResult> {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const transport = new TappedStdioTransport(command.file, command.args, options.env, options.cwd, options.secretValues);
  const client = new Client({ name: 'docker-vaultmcp-doctor', version: options.clientVersion }, { capabilities: {} });
  const t0 = performance.now();
  const onAbort = () => void transport.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    try {
      await client.connect(transport, { signal: options.signal });
      const tools = await client.listTools(undefined, { signal: options.signal });
      const info = client.getServerVersion();
      return {
        serverName: info?.name,
        serverVersion: info?.version,
        protocolVersion: transport.protocolVersion,
        toolCount: tools.tools.length,
        ms: Math.round(performance.now() - t0),
        banner: transport.banner,
      };
    } catch (err) {
      const why = transport.banner !== undefined ? `server printed a banner on stdout: ${transport.banner}` : handshakeFailure(err);
      throw Object.assign(new Error(why), { banner: transport.banner });
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await client.close().catch(() => {});
    await transport.close().catch(() => {});
  }
}

function handshakeFailure(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.message === 'string' && /cannot start the server/.test(e.message)) return e.message;
  if (e?.code === -32001 || /timed out|abort/i.test(String(e?.message))) return 'the server did not answer initialize/tools/list in time';
  if (/Connection closed/i.test(String(e?.message))) return 'the server exited during the handshake';
  if (typeof e?.code === 'number') return `the server answered the handshake with JSON-RPC error ${e.code}`;
  return 'the MCP handshake failed';
}
