/**
 * The leak guard's pieces without processes: the forms of a value (every encoding, base64 at the three alignments,
 * padded and unpadded), redaction inside JSON-RPC string values (the message stays valid JSON-RPC), block mode's
 * JSON-RPC errors in both directions, the stderr redactor across chunk boundaries, and values-free events.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { base64Core, byteForms, textForms } from '../../src/core/guard/forms.js';
import { createLeakGuard, describeGuardEvent, LeakGuard, type GuardEvent } from '../../src/core/guard/index.js';
import { LineFilterStream } from '../../src/core/launcher/filters.js';

const TOKEN = 'ghp_Zx9Qk2LmN4pR7sT1vW3yA5bC8dE0fG6hJ'; // 37 chars, fake
const SECRETS = [{ envVar: 'GITHUB_TOKEN', value: TOKEN }];

function guard(mode: 'redact' | 'block' = 'redact', secrets = SECRETS) {
  const events: GuardEvent[] = [];
  const g = new LeakGuard({ secrets, mode, onEvent: (e) => events.push(e) });
  return { g, events };
}

async function fromServer(g: LeakGuard, message: unknown): Promise<unknown> {
  const out = await g.serverToClient.transform(Buffer.from(typeof message === 'string' ? message : JSON.stringify(message)));
  return out === null ? null : JSON.parse(out.toString('utf8'));
}

const response = (text: string, id: number | string = 7) => ({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } });

describe('forms of a value', () => {
  it('finds the base64 forms of a value embedded at each byte alignment, padded or not, in both alphabets', () => {
    const value = Buffer.from(TOKEN);
    for (const align of [0, 1, 2] as const) {
      for (const after of [0, 1, 2, 5]) {
        const blob = Buffer.concat([randomBytes(3 * 4 + align), value, randomBytes(after)]);
        for (const alphabet of ['base64', 'base64url'] as const) {
          const enc = blob.toString(alphabet);
          const core = base64Core(value, ((3 * 4 + align) % 3) as 0 | 1 | 2, alphabet);
          assert.ok(core.length >= Math.floor((value.length * 4) / 3) - 2, 'all but the straddling characters');
          assert.ok(enc.includes(core), `${alphabet} align ${align} +${after}`);
          assert.ok(enc.replace(/=+$/, '').includes(core), 'unpadded too');
        }
      }
    }
  });

  it('has the JSON-escaped, URL-encoded and hex (both cases) forms', () => {
    const value = 'p@ss/wörd "quoted" \\ 100%';
    const forms = byteForms(value);
    const has = (text: string) => forms.some((f) => f.pattern === Buffer.from(text, 'utf8').toString('latin1'));
    assert.ok(has(JSON.stringify(value).slice(1, -1)), 'JSON.stringify escaping');
    assert.ok(forms.some((f) => f.form === 'json-escaped' && f.pattern.includes('\\u00f6')), 'ASCII-only \\u escaping');
    assert.ok(has(encodeURIComponent(value)), 'URL-encoded');
    assert.ok(has(Buffer.from(value).toString('hex')) && has(Buffer.from(value).toString('hex').toUpperCase()), 'hex');
    assert.ok(textForms(value).some((f) => f.form === 'raw' && f.pattern === value));
  });
});

describe('server → client', () => {
  it('redacts every form inside string values and keeps the message valid JSON-RPC', async () => {
    const { g, events } = guard();
    const b = Buffer.from(TOKEN);
    const variants = {
      raw: `token is ${TOKEN}.`,
      base64: `b64 ${Buffer.concat([Buffer.from('x'), b]).toString('base64')}`,
      base64url: `u ${Buffer.concat([Buffer.from('xy'), b]).toString('base64url')}`,
      hex: `hex ${b.toString('hex')}`,
      HEX: `HEX ${b.toString('hex').toUpperCase()}`,
      url: `https://x.test/?t=${encodeURIComponent(TOKEN + '/+')}`,
    };
    for (const [name, text] of Object.entries(variants)) {
      const out = (await fromServer(g, response(text))) as ReturnType<typeof response>;
      assert.equal(out.jsonrpc, '2.0');
      assert.equal(out.id, 7);
      const t = out.result.content[0]!.text;
      assert.match(t, /\[REDACTED:GITHUB_TOKEN\]/, name);
      assert.ok(!t.includes(TOKEN) && !t.includes(b.toString('hex')) && !t.includes(TOKEN.slice(8, 30)), name);
    }
    assert.ok(events.every((e) => !JSON.stringify(e).includes(TOKEN.slice(4, 12))), 'events carry no value');
    // (a base64url form without - or _ is the base64 one; this token's URL encoding is itself)
    assert.deepEqual(new Set(events.map((e) => e.type === 'leak' && e.form)), new Set(['raw', 'base64', 'hex', 'HEX']));
    const odd = guard('redact', [{ envVar: 'DB_PASSWORD', value: 'p@ss wörd/?&=+' }]);
    for (const text of [encodeURIComponent('p@ss wörd/?&=+'), Buffer.from('p@ss wörd/?&=+').toString('base64url')]) {
      const out = (await fromServer(odd.g, response(`x=${text}`))) as ReturnType<typeof response>;
      assert.equal(out.result.content[0]!.text, 'x=[REDACTED:DB_PASSWORD]');
    }
    assert.deepEqual(odd.events.map((e) => e.type === 'leak' && e.form), ['url-encoded', 'base64url']);
  });

  it('finds a value hidden by \\u escapes and one in an object key; leaves clean messages byte-identical', async () => {
    const { g } = guard();
    const escaped = JSON.stringify(response(TOKEN)).replace('ghp_', '\\u0067hp_');
    const out = (await fromServer(g, escaped)) as ReturnType<typeof response>;
    assert.equal(out.result.content[0]!.text, '[REDACTED:GITHUB_TOKEN]');
    const keyed = (await fromServer(g, { jsonrpc: '2.0', method: 'notifications/message', params: { [TOKEN]: 1 } })) as { params: Record<string, number> };
    assert.deepEqual(Object.keys(keyed.params), ['[REDACTED:GITHUB_TOKEN]']);
    const clean = Buffer.from(JSON.stringify(response('nothing to see')) + '\r');
    assert.equal(await g.serverToClient.transform(clean), clean, 'the same buffer, untouched');
  });

  it('names the request method of a response (remembered from the client side)', async () => {
    const { g, events } = guard();
    await g.clientToServer.transform(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'a1', method: 'resources/read', params: { uri: 'x://y' } })));
    await fromServer(g, response(TOKEN, 'a1'));
    assert.deepEqual(events, [{ type: 'leak', envVar: 'GITHUB_TOKEN', direction: 'server-to-client', form: 'raw', action: 'redacted', method: 'resources/read' }]);
    assert.equal(describeGuardEvent(events[0]!), 'leak guard: GITHUB_TOKEN (raw) in server → client resources/read: redacted');
  });

  it('block: a response carrying a value becomes a JSON-RPC error for its id; a notification is redacted', async () => {
    const { g, events } = guard('block');
    const out = (await fromServer(g, response(`x ${TOKEN}`, 42))) as { id: number; error: { code: number; message: string }; result?: unknown };
    assert.equal(out.id, 42);
    assert.equal(out.result, undefined);
    assert.equal(out.error.code, -32603);
    assert.match(out.error.message, /GITHUB_TOKEN/);
    assert.ok(!out.error.message.includes(TOKEN));
    assert.equal(events[0]!.type === 'leak' && events[0]!.action, 'blocked');
    const note = (await fromServer(g, { jsonrpc: '2.0', method: 'notifications/message', params: { data: TOKEN } })) as { params: { data: string } };
    assert.equal(note.params.data, '[REDACTED:GITHUB_TOKEN]');
  });

  it('redacts a line that is not JSON as bytes; handles an 8 MB message with the value at its end', async () => {
    const { g } = guard();
    const text = (await g.serverToClient.transform(Buffer.from(`log: ${TOKEN} done`)))!.toString();
    assert.equal(text, 'log: [REDACTED:GITHUB_TOKEN] done');
    const big = response('a'.repeat(8 * 1024 * 1024) + TOKEN);
    const out = (await fromServer(g, big)) as ReturnType<typeof response>;
    assert.ok(out.result.content[0]!.text.endsWith('a[REDACTED:GITHUB_TOKEN]'));
  });

  it('a value spanning JSON syntax (in no single string) is redacted as bytes while the result stays JSON', async () => {
    const { g, events } = guard('redact', [{ envVar: 'ODD', value: 'abc","x":"def' }]);
    const out = (await fromServer(g, '{"jsonrpc":"2.0","method":"m","params":{"a":"abc","x":"def"}}')) as { params: Record<string, string> };
    assert.deepEqual(out.params, { a: '[REDACTED:ODD]' });
    assert.equal(events.length, 1);
  });

  it('values under 6 bytes are not guarded, said once per variable', async () => {
    const events: GuardEvent[] = [];
    const g = createLeakGuard({ secrets: [{ envVar: 'PIN', value: '12345' }, ...SECRETS], mode: 'redact', onEvent: (e) => events.push(e) })!;
    assert.deepEqual(events, [{ type: 'unguarded', envVar: 'PIN', minBytes: 6 }]);
    const out = (await fromServer(g, response('12345'))) as ReturnType<typeof response>;
    assert.equal(out.result.content[0]!.text, '12345');
    assert.equal(createLeakGuard({ secrets: SECRETS, mode: 'off' }), undefined);
  });
});

describe('client → server', () => {
  const call = (args: unknown) => Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: args } }));

  it('block: a tools/call whose arguments carry a value (any form) is not forwarded; the client gets an error naming the variable', async () => {
    const { g, events } = guard('block');
    const replies: Buffer[] = [];
    for (const args of [{ message: TOKEN }, { nested: [{ m: Buffer.from(TOKEN).toString('base64') }] }]) {
      const out = await g.clientToServer.transform(call(args), { reply: (m) => replies.push(m) });
      assert.equal(out, null);
    }
    assert.equal(replies.length, 2);
    const err = JSON.parse(replies[0]!.toString()) as { id: number; error: { code: number; message: string } };
    assert.equal(err.id, 3);
    assert.equal(err.error.code, -32602);
    assert.match(err.error.message, /GITHUB_TOKEN/);
    assert.ok(!replies.some((r) => r.toString().includes(TOKEN.slice(4))));
    assert.equal(events.length, 2);
  });

  it('redact: forwarded as is, with a warning event; other methods and clean calls pass untouched', async () => {
    const { g, events } = guard('redact');
    const msg = call({ message: TOKEN });
    assert.equal(await g.clientToServer.transform(msg, { reply: () => assert.fail('no reply') }), msg);
    assert.equal(events[0]!.type === 'leak' && events[0]!.action, 'forwarded');
    const clean = call({ message: 'hello' });
    assert.equal(await g.clientToServer.transform(clean), clean);
  });

  it('a reply goes out between whole messages of the other direction (LineFilterStream.inject)', async () => {
    const { g } = guard('block');
    const toClient = new LineFilterStream([g.serverToClient]);
    const toServer = new LineFilterStream([g.clientToServer], { reply: (m) => toClient.inject(m) });
    const clientSees: Buffer[] = [];
    const serverSees: Buffer[] = [];
    toClient.on('data', (b: Buffer) => clientSees.push(b));
    toServer.on('data', (b: Buffer) => serverSees.push(b));
    toServer.write(Buffer.concat([call({ message: TOKEN }), Buffer.from('\n{"jsonrpc":"2.0","id":4,"method":"ping"}\n')]));
    toClient.write('{"jsonrpc":"2.0","id":1,"result":{}}\n');
    await new Promise((r) => setImmediate(r));
    assert.equal(Buffer.concat(serverSees).toString(), '{"jsonrpc":"2.0","id":4,"method":"ping"}\n');
    const lines = Buffer.concat(clientSees).toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: number });
    assert.deepEqual(lines.map((l) => l.id).sort(), [1, 3]);
  });
});

describe('stderr', () => {
  it('redacts a value split across writes, holding back at most (longest form − 1) bytes, flushed at end', async () => {
    const { g, events } = guard();
    const redactor = g.stderrRedactor();
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (b: Buffer) => chunks.push(b));
    redactor.pipe(sink);
    const clean = 'x'.repeat(1000);
    for (let i = 0; i < clean.length; i += 7) redactor.write(Buffer.from(clean.slice(i, i + 7), 'latin1'));
    await new Promise((r) => setImmediate(r));
    const held = clean.length - Buffer.concat(chunks).length;
    assert.ok(held <= g.holdback && g.holdback < 2 * TOKEN.length * 2 + 10, `held back ${held} ≤ ${g.holdback}`);
    chunks.length = 0;
    const b64 = Buffer.from(TOKEN).toString('base64');
    const text = `starting with ${TOKEN} and ${b64} then ${Buffer.from(TOKEN).toString('hex')}\ntail`;
    for (let i = 0; i < text.length; i += 7) redactor.write(Buffer.from(text.slice(i, i + 7), 'latin1'));
    redactor.end();
    await new Promise((r) => sink.once('end', r).resume());
    const out = Buffer.concat(chunks).toString('latin1');
    // base64: the last character straddles the value's end (2 of its bits) and the padding stay
    assert.equal(b64.slice(-2), '==');
    assert.equal(out, 'x'.repeat(held) + `starting with [REDACTED:GITHUB_TOKEN] and [REDACTED:GITHUB_TOKEN]${b64.slice(-3)} then [REDACTED:GITHUB_TOKEN]\ntail`);
    assert.deepEqual(events.map((e) => e.type === 'leak' && e.direction), ['stderr', 'stderr', 'stderr']);
  });
});

describe('sampled pre-screen', () => {
  it('never misses a pattern at any position (every offset, every form of several values), and passes clean text with no window', async () => {
    const { SampledScreen } = await import('../../src/core/guard/prefilter.js');
    const values = ['abcdef', 'tok_Zq9xY8wV7uT6', 'p@ss wörd/?&=+'];
    const patterns = values.flatMap((v) => byteForms(v).map((f) => f.pattern));
    const screen = new SampledScreen(patterns);
    assert.ok(screen.stride >= 1);
    for (const p of patterns) {
      for (let at = 0; at < 2 * screen.stride + 3; at++) {
        const data = Buffer.concat([Buffer.alloc(at, 0x41), Buffer.from(p, 'latin1'), Buffer.alloc(at % 5, 0x42)]);
        const covered = screen.windows(data).some(([s, e]) => s <= at && at + p.length <= e);
        assert.ok(covered, `${JSON.stringify(p)} at ${at}`);
      }
    }
    assert.deepEqual(screen.windows(Buffer.from('x'.repeat(10_000))), []);
  });
});
