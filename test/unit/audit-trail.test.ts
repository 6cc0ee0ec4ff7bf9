/**
 * The audit trail's file handling: 0600 file in a private directory, rotation by size keeping N files, reading
 * back across rotated files (oldest first, filtered by service), following appends, and the syslog writer.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuditTrail, followAudit, readAuditRecords, type AuditRecord } from '../../src/core/audit/audit-trail.js';
import { deferred, waitUntil } from '../helpers/wait.js';

const record = (service: string, i: number): AuditRecord => ({
  time: new Date(Date.UTC(2026, 10, 30, 1, 0, i)).toISOString(),
  service,
  environment: 'default',
  run_pid: 1,
  event: 'exit',
  pid: 100 + i,
  exit_code: 0,
  duration_ms: i,
});

describe('AuditTrail', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-audit-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('appends 0600 JSON lines, rotates by size keeping `keep` files, reads back oldest first, filters by service', async () => {
    const file = path.join(dir, 'state', 'audit.jsonl');
    const syslog: string[] = [];
    const trail = new AuditTrail({ file, syslog: true, maxBytes: 4096, keep: 2, syslogWriter: (l) => syslog.push(l) });
    for (let i = 0; i < 120; i++) void trail.append(record(i % 2 ? 'github' : 'slack', i));
    await trail.flush();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(path.dirname(file)).sort(), ['audit.jsonl', 'audit.jsonl.1', 'audit.jsonl.2']);
    for (const f of readdirSync(path.dirname(file))) assert.ok(statSync(path.join(path.dirname(file), f)).size <= 4096, f);
    const all = await readAuditRecords(file, { keep: 2 });
    assert.ok(all.length > 40 && all.length < 120, `older records rotated away (${all.length} kept)`);
    const pids = all.map((r) => (r as { pid: number }).pid);
    assert.deepEqual(pids, [...pids].sort((a, b) => a - b), 'oldest first');
    assert.equal(pids.at(-1), 219);
    const github = await readAuditRecords(file, { service: 'github', limit: 3, keep: 2 });
    assert.deepEqual(github.map((r) => (r as { pid: number }).pid), [215, 217, 219]);
    assert.equal(syslog.length, 120);
    assert.deepEqual(JSON.parse(syslog[0]!), record('slack', 0));
  });

  it('follows appends, across a rotation', async () => {
    const file = path.join(dir, 'follow', 'audit.jsonl');
    const trail = new AuditTrail({ file, syslog: false, maxBytes: 4096, keep: 1 });
    await trail.append(record('old', 0));
    const seen: AuditRecord[] = [];
    const stop = new AbortController();
    const ready = deferred();
    const following = followAudit(file, (r) => seen.push(r), stop.signal, 20, ready.resolve);
    await ready.promise;
    try {
      for (let i = 1; i <= 40; i++) await trail.append(record('new', i));
      await waitUntil(() => seen.length >= 40, 'the followed records', { timeoutMs: 5000 });
    } finally {
      stop.abort();
      await following;
    }
    assert.ok(readdirSync(path.dirname(file)).includes('audit.jsonl.1'), 'it did rotate');
    assert.ok(seen.every((r) => r.service === 'new'));
    assert.equal((seen.at(-1) as { pid: number }).pid, 140);
  });

  it('syslog: each record goes to util-linux `logger -t docker-vaultmcp` (a stand-in logger on PATH records its argv)', async () => {
    const bin = path.join(dir, 'bin');
    const out = path.join(dir, 'logger-argv');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'logger'), `#!/bin/sh\nprintf '%s|' "$@" >> '${out}'\necho >> '${out}'\n`, { mode: 0o755 });
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved}`;
    try {
      const trail = new AuditTrail({ file: false, syslog: true, maxBytes: 4096, keep: 1 });
      await trail.append(record('github', 7));
      await waitUntil(() => existsSync(out) && readFileSync(out, 'utf8').includes('\n'), 'the logger call');
    } finally {
      process.env.PATH = saved;
    }
    const argv = readFileSync(out, 'utf8').trim().split('|').filter(Boolean);
    assert.deepEqual(argv.slice(0, 5), ['-t', 'docker-vaultmcp', '-p', 'user.info', '--']);
    assert.deepEqual(JSON.parse(argv[5]!), record('github', 7));
  });

  it('reports a write failure once and never throws', async () => {
    const errors: string[] = [];
    writeFileSync(path.join(dir, 'a-file'), 'x');
    const trail = new AuditTrail({ file: path.join(dir, 'a-file', 'audit.jsonl'), syslog: false, maxBytes: 4096, keep: 1 }, (m) => errors.push(m));
    await trail.append(record('x', 1));
    await trail.append(record('x', 2));
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^audit: cannot write/);
  });
});
