/**
 * The gateway map (schema, positions in errors), the gateway's `.env` payload rules, and the secrets FIFO
 * (served on every open, nothing left after close, stale directories swept).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { gatewaySelection, loadGatewayMap, parseGatewayMap, saveGatewayMap } from '../../src/core/gateway/map.js';
import { formatSecretsPayload, payloadProblem } from '../../src/core/gateway/payload.js';
import { createSecretsFifo, sweepStaleFifoDirs } from '../../src/core/gateway/fifo.js';
import { addMapping, candidateNames } from '../../src/app/gateway/map.js';
import { findDockerMcp, parseVersion } from '../../src/app/gateway/docker-mcp.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-gw-unit-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('gateway map', () => {
  it('selects per-environment references like a service definition; catalog names keep their dots', () => {
    const map = parseGatewayMap('github.personal_access_token: { secret_name: github-token, environment: { production: github-token-prod } }\nnotion.token: notion-token\n', 'm.yaml');
    const prod = gatewaySelection(map, 'm.yaml', 'production');
    assert.deepEqual(prod.specs.map((s) => [s.envVar, s.reference]), [
      ['github.personal_access_token', 'github-token-prod'],
      ['notion.token', 'notion-token'],
    ]);
    // declared in settings only: the default names, with a warning; declared nowhere: the usage error of `run`
    const declared = gatewaySelection(map, 'm.yaml', 'staging', ['staging']);
    assert.equal(declared.specs[0]!.reference, 'github-token');
    assert.match(declared.warnings[0]!, /no environment 'staging'/);
    assert.throws(() => gatewaySelection(map, 'm.yaml', 'prodution'), /unknown environment 'prodution'.*did you mean 'production'/);
  });

  it('names file and line:column of a bad entry', () => {
    assert.throws(() => parseGatewayMap('ok.name: x\n"bad name": y\n', '/m.yaml'), /\/m\.yaml:2:\d+: .*catalog secret name/);
    assert.throws(() => parseGatewayMap('a.b: { secret_name: x, bogus: 1 }\n', '/m.yaml'), /\/m\.yaml:1:\d+: .*bogus/);
    assert.throws(() => parseGatewayMap('a.b: [x\n', '/m.yaml'), /\/m\.yaml:\d+:\d+: malformed gateway map/);
  });

  it('is trusted like settings: a map others could write, a FIFO or absurd nesting is refused, nothing read', async () => {
    const open = path.join(tmp, 'open-dir');
    mkdirSync(open);
    chmodSync(open, 0o777); // ours, made world-writable: another user could have replaced the map
    writeFileSync(path.join(open, 'gateway.yaml'), 'github.personal_access_token: github-token\n');
    await assert.rejects(loadGatewayMap(path.join(open, 'gateway.yaml')), /refusing gateway map .*open-dir is .*writable/);
    const fifo = path.join(tmp, 'map.fifo');
    spawnSync('mkfifo', [fifo]);
    await assert.rejects(loadGatewayMap(fifo), /gateway map .* is not a regular file/);
    assert.throws(() => parseGatewayMap('a.b: ' + '['.repeat(5000) + ']'.repeat(5000) + '\n', '/m.yaml'), /m\.yaml.*nest/);
  });

  it('map add writes references 0600 and keeps other environments', async () => {
    const ctx = { env: {}, homeDir: tmp, cwd: tmp };
    const file = path.join(tmp, 'cfg', 'gateway.yaml');
    await addMapping(ctx, { file, name: 'github.pat', reference: 'gh' });
    await addMapping(ctx, { file, name: 'github.pat', reference: 'gh-prod', env: 'production' });
    const r = await addMapping(ctx, { file, name: 'github.pat', reference: 'gh2' });
    assert.equal(r.action, 'updated');
    assert.deepEqual(await loadGatewayMap(file), { 'github.pat': { secret_name: 'gh2', environment: { production: 'gh-prod' } } });
    assert.equal(lstatSync(file).mode & 0o777, 0o600);
    await assert.rejects(addMapping(ctx, { file, name: 'x.y', reference: 'oci-vault://nope' }), /invalid secret reference/);
    await saveGatewayMap(file, {});
    assert.deepEqual(await loadGatewayMap(file), {});
  });

  it('import candidates and docker mcp versions', () => {
    assert.deepEqual(candidateNames('github.personal_access_token'), ['github.personal_access_token', 'github-personal-access-token']);
    assert.deepEqual(parseVersion('v0.43.3'), [0, 43, 3]);
    assert.equal(parseVersion('dev'), undefined);
  });
});

describe('gateway .env payload', () => {
  it('one name=value line per secret; values the format cannot carry are refused without showing them', () => {
    assert.equal(formatSecretsPayload([['a.b', 'v1'], ['c.d', 'x=y']]).toString(), 'a.b=v1\nc.d=x=y\n');
    for (const [value, why] of [['l1\nl2', /line break/], [' padded', /whitespace/], ['', /empty/]] as const) {
      assert.match(payloadProblem('a.b', value)!, why);
      assert.throws(() => formatSecretsPayload([['a.b', value]]), (err: Error) => why.test(err.message) && (value === '' || !err.message.includes(value)));
    }
  });
});

/** Reads a FIFO in a child process (as the gateway does: open, read to EOF, close). */
function readInChild(fifo: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['-e', `process.stdout.write(require('fs').readFileSync(${JSON.stringify(fifo)}))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b));
    c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`reader exited ${code}`))));
  });
}

describe('secrets FIFO', { skip: process.platform === 'win32' ? 'no FIFOs' : false }, () => {
  it('serves the payload on every open, the new one after setPayload, and leaves nothing after close', async () => {
    const base = mkdtempSync(path.join(tmp, 'base-'));
    let served = 0;
    const fifo = await createSecretsFifo({ baseDirs: [base], payload: Buffer.from('a.b=one\n'), onServed: (n) => (served = n) });
    assert.equal(lstatSync(fifo.dir).mode & 0o777, 0o700);
    assert.equal(lstatSync(fifo.path).mode & 0o777, 0o600);
    assert.equal(await readInChild(fifo.path), 'a.b=one\n');
    assert.equal(await readInChild(fifo.path), 'a.b=one\n');
    fifo.setPayload(Buffer.from('a.b=two\n'));
    assert.equal(await readInChild(fifo.path), 'a.b=two\n');
    assert.equal(served, 3);
    await fifo.close(); // releases the writer waiting in open()
    assert.equal(existsSync(fifo.dir), false);
    await fifo.close();
  });

  it('a reader that arrives after close does not get the payload (the FIFO is gone)', async () => {
    const base = mkdtempSync(path.join(tmp, 'base-'));
    const fifo = await createSecretsFifo({ baseDirs: [base], payload: Buffer.from('a.b=one\n') });
    await fifo.close();
    await assert.rejects(readFile(fifo.path), /ENOENT/);
  });

  it('sweeps directories of dead runs only', async () => {
    const base = mkdtempSync(path.join(tmp, 'base-'));
    const dead = path.join(base, 'vaultmcp-gateway-999999999-AbC123');
    const live = path.join(base, `vaultmcp-gateway-${process.ppid}-XyZ789`);
    const other = path.join(base, 'something-else');
    for (const d of [dead, live, other]) mkdirSync(d);
    assert.deepEqual(await sweepStaleFifoDirs([base]), [dead]);
    assert.equal(existsSync(live), true);
    assert.equal(existsSync(other), true);
  });
});

describe('finding docker mcp', () => {
  const fakePlugin = (dir: string, version: string) => {
    mkdirSync(dir, { recursive: true });
    const p = path.join(dir, 'docker-mcp');
    writeFileSync(p, `#!/bin/sh\necho '{"SchemaVersion":"0.1.0","Vendor":"Docker Inc.","Version":"${version}"}'\n`);
    chmodSync(p, 0o755);
    return p;
  };
  it('looks in cliPluginsExtraDirs first (Docker Desktop), then DOCKER_CONFIG/cli-plugins; checks the version', async () => {
    const dc = mkdtempSync(path.join(tmp, 'dc-'));
    const ctx = { env: { DOCKER_CONFIG: dc, PATH: process.env.PATH }, homeDir: tmp };
    await assert.rejects(findDockerMcp(ctx), (err: any) => err.exitCode === 127 && /not installed/.test(err.message));
    fakePlugin(path.join(dc, 'cli-plugins'), 'v0.40.0');
    await assert.rejects(findDockerMcp(ctx), (err: any) => err.exitCode === 2 && /v0\.40\.0 is too old/.test(err.message));
    const extra = fakePlugin(path.join(tmp, 'desktop-plugins'), 'v0.44.0');
    writeFileSync(path.join(dc, 'config.json'), JSON.stringify({ cliPluginsExtraDirs: [path.dirname(extra)] }));
    assert.deepEqual((await findDockerMcp(ctx)).plugin, { path: extra, version: 'v0.44.0' });
  });
});

describe('handshake replay (gateway run --watch over stdio)', () => {
  it('forwards whole lines only, replays initialize + initialized to a restarted gateway and drops its answer', async () => {
    const { HandshakeReplay } = await import('../../src/app/gateway/handshake-replay.js');
    const { PassThrough } = await import('node:stream');
    const client = new PassThrough();
    const replay = new HandshakeReplay(client);
    const first: Buffer[] = [];
    replay.stdin.on('data', (b: Buffer) => first.push(b));
    const init = '{"jsonrpc":"2.0","id":7,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}';
    client.write(init + '\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n{"jsonrpc":"2.0","id":8,"me');
    await new Promise((r) => setImmediate(r));
    assert.equal(Buffer.concat(first).toString().split('\n').length, 3, 'the unfinished line is held back');
    const second: Buffer[] = [];
    const next = replay.restart();
    next.on('data', (b: Buffer) => second.push(b));
    client.write('thod":"tools/list"}\n');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(Buffer.concat(second).toString().trim().split('\n'), [
      init,
      '{"jsonrpc":"2.0","method":"notifications/initialized"}',
      '{"jsonrpc":"2.0","id":8,"method":"tools/list"}',
    ]);
    // the restarted gateway's answer to the replayed initialize is dropped once; everything else passes
    const answer = Buffer.from('{"jsonrpc":"2.0","id":7,"result":{}}');
    assert.equal(await replay.filter.transform(Buffer.from('{"jsonrpc":"2.0","method":"notifications/x"}')) !== null, true);
    assert.equal(await replay.filter.transform(answer), null);
    assert.deepEqual(await replay.filter.transform(answer), answer);
    client.end();
    await new Promise((r) => setImmediate(r));
    assert.equal(replay.ended, true);
  });
});
