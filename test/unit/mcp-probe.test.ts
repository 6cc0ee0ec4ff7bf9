/** Unit tests of the MCP handshake probe: the MCP layer over the SDK's InMemoryTransport, the stdio layer over real processes. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { McpProbeError, probeMcpServer, probeMcpTransport } from '../../src/core/mcp/probe.js';
import { waitUntil } from '../helpers/wait.js';

const SECRET = 'probe-secret-value-0123456789';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-probe-unit-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('probeMcpTransport (in memory)', () => {
  test('success: server info, protocol version and tool count', async () => {
    const server = new McpServer({ name: 'mem-server', version: '2.3.4' });
    server.registerTool('echo', { description: 'echo', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
    server.registerTool('ping', { description: 'ping' }, async () => ({ content: [{ type: 'text', text: 'pong' }] }));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const r = await probeMcpTransport(clientSide, { timeoutMs: 5000 });
    assert.equal(r.serverName, 'mem-server');
    assert.equal(r.serverVersion, '2.3.4');
    assert.equal(r.toolCount, 2);
    assert.ok(r.protocolVersion);
    assert.ok(Number.isInteger(r.ms) && r.ms >= 0);
    await server.close();
  });

  test('a server that never answers: timeout, and onFailure is called', async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    serverSide.onmessage = () => {};
    await serverSide.start();
    let failed: McpProbeError | undefined;
    const t0 = performance.now();
    await assert.rejects(probeMcpTransport(clientSide, { timeoutMs: 200, onFailure: (e) => (failed = e) }), (err: unknown) => {
      assert.ok(err instanceof McpProbeError);
      assert.equal(err.kind, 'timeout');
      assert.equal(err.details.phase, 'initialize');
      assert.equal(err.reason, 'no answer to initialize/tools/list within 200 ms');
      return true;
    });
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(failed?.kind, 'timeout');
  });

  test('the caller aborting: kind aborted', async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    serverSide.onmessage = () => {};
    await serverSide.start();
    await assert.rejects(probeMcpTransport(clientSide, { signal: AbortSignal.timeout(100) }), (err: unknown) => err instanceof McpProbeError && err.kind === 'aborted');
  });

  test('an error response: JSON-RPC code and message, secret values redacted', async () => {
    const server = new Server({ name: 'err-server', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => {
      throw new McpError(ErrorCode.InternalError, `token ${SECRET} rejected`);
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await assert.rejects(probeMcpTransport(clientSide, { timeoutMs: 5000, secretValues: [SECRET] }), (err: unknown) => {
      assert.ok(err instanceof McpProbeError);
      assert.equal(err.kind, 'error-response');
      assert.equal(err.details.phase, 'tools/list');
      assert.equal(err.details.code, ErrorCode.InternalError);
      assert.match(err.reason, /^the server answered tools\/list with JSON-RPC error -32603 \(token .*\*\*\*\*.* rejected\)$/);
      assert.ok(!err.reason.includes(SECRET));
      return true;
    });
    await server.close();
  });
});

describe('probeMcpServer (child process)', () => {
  const script = (name: string, body: string): string => {
    const file = path.join(tmp, name);
    writeFileSync(file, body);
    return file;
  };

  test('a server that exits at once: exit code and its last stderr line, redacted', async () => {
    const file = script('dies.mjs', `process.stderr.write('first\\nfatal: bad token ' + process.env.TOKEN + '\\n'); process.exit(3);\n`);
    await assert.rejects(
      probeMcpServer({ file: process.execPath, args: [file], env: { TOKEN: SECRET }, cwd: tmp }, { timeoutMs: 5000, secretValues: [SECRET] }),
      (err: unknown) => {
        assert.ok(err instanceof McpProbeError);
        assert.equal(err.kind, 'closed');
        assert.equal(err.details.exitCode, 3);
        assert.match(err.reason, /^the server exited before answering initialize \(exit code 3\); its last stderr line: fatal: bad token /);
        assert.ok(!err.reason.includes(SECRET));
        return true;
      },
    );
  });

  test('a hung server is killed at the time limit, with its process group', async () => {
    const pidFile = path.join(tmp, 'grandchild.pid');
    const file = script(
      'hangs.mjs',
      `import { spawn } from 'node:child_process'; import { writeFileSync } from 'node:fs';\n` +
        `const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });\n` +
        `writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));\nsetInterval(() => {}, 1000);\n`,
    );
    const t0 = performance.now();
    await assert.rejects(probeMcpServer({ file: process.execPath, args: [file], env: {}, cwd: tmp }, { timeoutMs: 500 }), (err: unknown) => err instanceof McpProbeError && err.kind === 'timeout');
    assert.ok(performance.now() - t0 < 4000, 'the hung server was given a grace period');
    if (process.platform !== 'win32') {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      // gone, or a zombie where PID 1 of a container does not reap orphans
      const state = () => (existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] : 'gone');
      await waitUntil(() => state() === 'gone' || state() === 'Z', `the grandchild ${pid} to be killed`, { timeoutMs: 2000 });
    }
  });

  test('a stdout banner that is not JSON-RPC is named as such, masked and truncated', async () => {
    const file = script('banner.mjs', `process.stdout.write('Welcome, your token is ' + process.env.TOKEN + ' ' + 'z'.repeat(100) + '\\n'); setTimeout(() => process.exit(1), 50);\n`);
    await assert.rejects(
      probeMcpServer({ file: process.execPath, args: [file], env: { TOKEN: SECRET }, cwd: tmp }, { timeoutMs: 5000, secretValues: [SECRET] }),
      (err: unknown) => {
        assert.ok(err instanceof McpProbeError);
        assert.match(err.reason, /; server printed a banner on stdout: Welcome, your token is .*\.\.\./);
        assert.ok(err.details.banner && err.details.banner.length <= 80);
        assert.ok(!err.reason.includes(SECRET));
        return true;
      },
    );
  });

  test('stderr is masked in every encoding: raw, base64, hex (both cases), URL-encoded', async () => {
    const secret = 'p@ss w0rd/with+chars&more=values';
    const file = script(
      'encodings.mjs',
      `const v = process.env.TOKEN, b = Buffer.from(v);\n` +
        `process.stderr.write('x ' + [v, b.toString('base64'), b.toString('base64url'), b.toString('hex'), b.toString('hex').toUpperCase(), encodeURIComponent(v)].join(' | ') + '\\n');\n` +
        `process.exit(2);\n`,
    );
    await assert.rejects(probeMcpServer({ file: process.execPath, args: [file], env: { TOKEN: secret }, cwd: tmp }, { timeoutMs: 5000, secretValues: [secret] }), (err: unknown) => {
      assert.ok(err instanceof McpProbeError);
      const b = Buffer.from(secret);
      for (const form of [secret, b.toString('base64'), b.toString('hex'), b.toString('hex').toUpperCase(), encodeURIComponent(secret)]) {
        assert.ok(!err.reason.includes(form), `leaks ${form}: ${err.reason}`);
      }
      // nor a large part of the hex form
      assert.ok(!err.reason.includes(b.toString('hex').slice(0, 16)), err.reason);
      assert.match(err.reason, /its last stderr line: x (\*\*\*\*\(\d+\)|p@ss\*\*\*\*\(\d+\))( \| (\*\*\*\*\(\d+\)|p@ss\*\*\*\*\(\d+\))){5}$/);
      return true;
    });
  });

  for (const ending of ['\\n', '']) {
    test(`a server that prints a banner${ending ? '' : ' without a newline'} and never answers is reported by its banner, not as a plain timeout`, async () => {
      const file = script(`banner-hang${ending ? '' : '-nonl'}.mjs`, `process.stdout.write('Server listening on stdio${ending}'); setInterval(() => {}, 1000);\n`);
      await assert.rejects(probeMcpServer({ file: process.execPath, args: [file], env: {}, cwd: tmp }, { timeoutMs: 400 }), (err: unknown) => {
        assert.ok(err instanceof McpProbeError);
        assert.equal(err.kind, 'timeout');
        assert.match(err.reason, /^the server printed "Server listening on stdio" on stdout and never answered initialize \(a stdio MCP server must print only JSON-RPC/);
        assert.equal(err.details.banner, 'Server listening on stdio');
        return true;
      });
    });
  }

  test('a missing executable: not-found', async () => {
    await assert.rejects(probeMcpServer({ file: path.join(tmp, 'nope'), args: [], env: {}, cwd: tmp }), (err: unknown) => err instanceof McpProbeError && err.kind === 'not-found');
  });
});
