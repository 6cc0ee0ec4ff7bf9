/**
 * src/core/secret-input.ts: value sources (stdin bytes, files, masked TTY prompt, generator), the 25 KB limit,
 * the name rule, --trim. The prompt runs against a fake TTY stream (raw-mode calls recorded).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import {
  EXIT_ABORTED,
  GENERATE_ALPHABET,
  MAX_SECRET_BYTES,
  generateSecret,
  readSecretFile,
  readSecretValue,
  readStreamBytes,
  trimOneNewline,
  validateSecretName,
  validateSecretValue,
} from '../../src/app/secrets/secret-input.js';
import { promptHidden, promptSecretTwice } from '../../src/ui/prompts/masked-input.js';

/** A stdin stand-in with the tty.ReadStream surface the prompt uses. */
class FakeTty extends PassThrough {
  isTTY = true;
  isRaw = false;
  rawCalls: boolean[] = [];
  setRawMode(raw: boolean) {
    this.isRaw = raw;
    this.rawCalls.push(raw);
    return this;
  }
}

function sink(): PassThrough & { text: () => string } {
  const s = new PassThrough() as PassThrough & { text: () => string };
  let out = '';
  s.on('data', (d) => (out += d));
  s.text = () => out;
  return s;
}

describe('validateSecretName', () => {
  it('accepts the Vault alphabet up to 255 characters', () => {
    for (const n of ['a', 'github-token', 'prod.db_password', 'A1._-', 'x'.repeat(255)]) validateSecretName(n);
  });
  it('refuses other characters, empty and over-long names with exit 2', () => {
    for (const n of ['', 'has space', 'slash/name', 'amp&x', 'é', 'x'.repeat(256), 'a?b']) {
      assert.throws(() => validateSecretName(n), (e: unknown) => e instanceof UsageError && e.exitCode === 2, n);
    }
  });
});

describe('validateSecretValue', () => {
  it('accepts 1 byte to 25 KB', () => {
    validateSecretValue(Buffer.alloc(1));
    validateSecretValue(Buffer.alloc(MAX_SECRET_BYTES));
  });
  it('refuses empty and 25 KB + 1 without echoing content', () => {
    assert.throws(() => validateSecretValue(Buffer.alloc(0)), /empty/);
    const big = Buffer.alloc(MAX_SECRET_BYTES + 1, 'Q');
    assert.throws(() => validateSecretValue(big), (e: unknown) => e instanceof UsageError && /25601 bytes/.test(e.message) && !/QQQQ/.test(e.message));
  });
});

describe('trimOneNewline', () => {
  it('removes exactly one \\n or \\r\\n', () => {
    assert.equal(trimOneNewline(Buffer.from('a\n\n')).toString(), 'a\n');
    assert.equal(trimOneNewline(Buffer.from('a\r\n')).toString(), 'a');
    assert.equal(trimOneNewline(Buffer.from('a')).toString(), 'a');
    assert.equal(trimOneNewline(Buffer.from('a \t')).toString(), 'a \t');
  });
});

describe('generateSecret', () => {
  it('makes N characters of the URL-safe alphabet, different each time', () => {
    const a = generateSecret(40).toString();
    const b = generateSecret(40).toString();
    assert.equal(a.length, 40);
    assert.notEqual(a, b);
    assert.match(a, /^[A-Za-z0-9_-]{40}$/);
    const seen = new Set(generateSecret(4000).toString());
    assert.ok(seen.size > 60, 'uses (nearly) the whole alphabet');
    for (const c of seen) assert.ok(GENERATE_ALPHABET.includes(c));
  });
  it('refuses lengths outside 8..25600', () => {
    for (const n of [0, 7, 25601, 1.5, Number.NaN]) assert.throws(() => generateSecret(n), UsageError);
  });
});

describe('readStreamBytes', () => {
  it('keeps bytes exactly, including NUL and a trailing newline', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 10, 0, 10]);
    const got = await readStreamBytes(Readable.from([bytes.subarray(0, 3), bytes.subarray(3)]));
    assert.ok(Buffer.isBuffer(got) && got.equals(bytes));
  });
  it('stops once over the limit', async () => {
    const got = await readStreamBytes(Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), 15);
    assert.deepEqual(got, { tooLarge: 20 });
  });
});

describe('readSecretFile', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-secret-input-'))));
  after(async () => rm(dir, { recursive: true, force: true }));
  const ctx = () => ({ homeDir: dir, cwd: dir });

  it('reads binary content byte for byte (relative paths from cwd)', async () => {
    const bytes = Buffer.from([0, 0, 7, 13, 10, 200, 0]);
    await writeFile(path.join(dir, 'bin'), bytes);
    assert.ok((await readSecretFile('bin', ctx())).equals(bytes));
  });
  it('refuses missing files, directories and files over 25 KB (before reading)', async () => {
    await assert.rejects(readSecretFile('nope', ctx()), (e: unknown) => e instanceof UsageError && /no such file/.test(e.message));
    await assert.rejects(readSecretFile('.', ctx()), /directory/);
    await writeFile(path.join(dir, 'big'), Buffer.alloc(MAX_SECRET_BYTES + 1, 'Z'));
    await assert.rejects(readSecretFile('big', ctx()), (e: unknown) => e instanceof UsageError && /25601 bytes/.test(e.message));
  });
});

describe('promptHidden (fake TTY)', () => {
  it('echoes * per character, handles backspace and escape sequences, restores the mode', async () => {
    const tty = new FakeTty();
    const out = sink();
    const p = promptHidden(tty, out, 'Value: ');
    tty.write('se');
    tty.write('\u001b[D'); // left arrow: ignored
    tty.write('cx\u007fret'); // typo erased
    tty.write('\r');
    const value = await p;
    assert.equal(value.toString(), 'secret');
    assert.deepEqual(tty.rawCalls, [true, false]);
    assert.equal(tty.isRaw, false);
    assert.ok(!out.text().includes('secret'), 'the value is never written');
    assert.match(out.text(), /^Value: \*\*\*\*\u0008 \u0008\*\*\*\n$/);
  });

  it('keeps unicode and Ctrl-U clears the line', async () => {
    const tty = new FakeTty();
    const p = promptHidden(tty, sink(), '> ');
    tty.write('wrong\u0015pässwörd✓\n');
    assert.equal((await p).toString('utf8'), 'pässwörd✓');
  });

  it('Ctrl-C aborts with exit 130 and restores the terminal', async () => {
    const tty = new FakeTty();
    const p = promptHidden(tty, sink(), '> ');
    tty.write('abc\u0003');
    await assert.rejects(p, (e: unknown) => (e as { exitCode?: number }).exitCode === EXIT_ABORTED);
    assert.equal(tty.isRaw, false);
    assert.equal(tty.listenerCount('data'), 0);
  });

  for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`${signal} while open: exit ${code}, terminal restored, its handler removed`, async () => {
      const tty = new FakeTty();
      const before = process.listenerCount(signal);
      const p = promptHidden(tty, sink(), '> ');
      tty.write('abc');
      assert.equal(process.listenerCount(signal), before + 1);
      process.emit(signal, signal);
      await assert.rejects(p, (e: unknown) => (e as { exitCode?: number }).exitCode === code && /nothing was uploaded/.test(String(e)));
      assert.equal(tty.isRaw, false);
      assert.equal(process.listenerCount(signal), before);
    });
  }

  it('removes its signal handlers when the prompt ends normally', async () => {
    const before = process.listenerCount('SIGTERM');
    const tty = new FakeTty();
    const p = promptHidden(tty, sink(), '> ');
    tty.write('x\r');
    await p;
    assert.equal(process.listenerCount('SIGTERM'), before);
  });

  it('refuses a stream without raw mode', async () => {
    await assert.rejects(promptHidden(new PassThrough(), sink(), '> '), UsageError);
  });
});

describe('promptSecretTwice', () => {
  it('returns the value when both entries match', async () => {
    const tty = new FakeTty();
    const p = promptSecretTwice(tty, sink(), "secret 'x'");
    tty.write('hunter2-long\r');
    await new Promise((r) => setImmediate(r));
    tty.write('hunter2-long\r');
    assert.equal((await p).toString(), 'hunter2-long');
  });
  it('refuses different entries (exit 2)', async () => {
    const tty = new FakeTty();
    const p = promptSecretTwice(tty, sink(), "secret 'x'");
    tty.write('first-Qz\r');
    await new Promise((r) => setImmediate(r));
    tty.write('second-Qz\r');
    await assert.rejects(p, (e: unknown) => e instanceof UsageError && /differ/.test(e.message) && !/Qz/.test(e.message));
  });
});

describe('readSecretValue', () => {
  const base = { homeDir: '/', cwd: '/', stderr: sink() };
  it('reads piped stdin exactly, --trim strips one newline', async () => {
    const v1 = await readSecretValue({ ...base, stdin: Readable.from([Buffer.from('tok\n')]) }, { label: 'x' });
    assert.equal(v1.source, 'stdin');
    assert.equal(v1.bytes.toString(), 'tok\n');
    const v2 = await readSecretValue({ ...base, stdin: Readable.from([Buffer.from('tok\n')]) }, { label: 'x', trim: true });
    assert.equal(v2.bytes.toString(), 'tok');
  });
  it('refuses empty stdin and stdin over 25 KB', async () => {
    await assert.rejects(readSecretValue({ ...base, stdin: Readable.from([]) }, { label: 'x' }), /empty/);
    await assert.rejects(readSecretValue({ ...base, stdin: Readable.from([Buffer.alloc(MAX_SECRET_BYTES + 1)]) }, { label: 'x' }), /over 25600 bytes/);
  });
  it('generates without reading stdin; refuses --generate with --from-file', async () => {
    const v = await readSecretValue({ ...base, stdin: Readable.from([Buffer.from('ignored')]) }, { label: 'x', generate: 12 });
    assert.equal(v.source, 'generated');
    assert.equal(v.bytes.length, 12);
    await assert.rejects(readSecretValue({ ...base, stdin: Readable.from([]) }, { label: 'x', generate: 12, fromFile: 'f' }), UsageError);
  });
  it('--from-file - on a terminal reads it, with a note that the input is visible', async () => {
    const tty = new FakeTty();
    const err = sink();
    const p = readSecretValue({ ...base, stderr: err, stdin: tty }, { label: 'x', fromFile: '-' });
    tty.end('pasted');
    const v = await p;
    assert.equal(v.bytes.toString(), 'pasted');
    assert.match(err.text(), /visible as you type \(omit --from-file - for a hidden prompt\)/);
  });
  it('prompts (twice) when stdin is a terminal', async () => {
    const tty = new FakeTty();
    const p = readSecretValue({ ...base, stdin: tty }, { label: "secret 'x'", prompt: (label) => promptSecretTwice(tty, sink(), label) });
    tty.write('typed-value\r');
    await new Promise((r) => setImmediate(r));
    tty.write('typed-value\r');
    const v = await p;
    assert.equal(v.source, 'prompt');
    assert.equal(v.bytes.toString(), 'typed-value');
  });
});
