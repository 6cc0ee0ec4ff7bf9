/** The output module's waits and tables (issue 10 §6, §11): spinners only on a terminal, tables fit its width. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createOutput, formatTable } from '../../src/cli/output.js';
import { deferred } from '../helpers/wait.js';

/** A stream that says it is a terminal, with the cursor methods of tty.WriteStream that spinners use. */
const stream = (tty: boolean, columns = 80) => {
  const s = new PassThrough();
  const esc = (code: string) => (cb?: () => void) => s.write(code, cb);
  return Object.assign(s, {
    isTTY: tty,
    columns,
    cursorTo: (x: number, _y?: unknown, cb?: () => void) => s.write(`\u001b[${x + 1}G`, cb),
    moveCursor: (dx: number, dy: number, cb?: () => void) => s.write(`\u001b[${dy}A`, cb),
    clearLine: (_dir: number, cb?: () => void) => esc('\u001b[2K')(cb),
  });
};

describe('Output.during', () => {
  it('on a terminal: a spinner line with the text and the elapsed time appears while the work is pending', async () => {
    const stderr = stream(true);
    let seen = '';
    stderr.on('data', (d: Buffer) => (seen += d.toString()));
    const out = createOutput({ stdout: stream(true), stderr, env: {} });
    const work = deferred<number>();
    const result = out.during('listing the secrets of the vault', work.promise);
    await once(stderr, 'data');
    assert.match(seen, /listing the secrets of the vault \(\d+\.\d s\)/);
    work.resolve(7);
    assert.equal(await result, 7);
  });
  it('not a terminal, --json (quiet) or TERM=dumb: nothing is written', async () => {
    for (const [tty, quiet, term] of [[false, false, 'xterm'], [true, true, 'xterm'], [true, false, 'dumb']] as const) {
      const stderr = stream(tty);
      let seen = '';
      stderr.on('data', (d: Buffer) => (seen += d.toString()));
      const out = createOutput({ stdout: stream(tty), stderr, env: { TERM: term } });
      // the work outlives the spinner's delay: a timer that fires after it, so a spinner would have been drawn
      const work = new Promise((r) => setTimeout(r, 400));
      await out.during('waiting', work, { quiet });
      assert.equal(seen, '', `tty=${tty} quiet=${quiet} TERM=${term}`);
    }
  });
  it('errors of the work pass through', async () => {
    const out = createOutput({ stdout: stream(true), stderr: stream(true), env: {} });
    await assert.rejects(out.during('x', Promise.reject(new Error('boom'))), /boom/);
  });
});

describe('formatTable width', () => {
  const rows = [
    ['NAME', 'STATE', 'OCID'],
    ['github-token', 'ACTIVE', `ocid1.vaultsecret.oc1.us-ashburn-1.${'a'.repeat(60)}`],
  ];
  it('a terminal narrower than the table: every line fits, the widest column is cut with …', () => {
    const text = formatTable(rows, 60);
    for (const line of text.trimEnd().split('\n')) assert.ok(line.length <= 60, `${line.length}: ${line}`);
    assert.match(text, /github-token {2}ACTIVE {2}ocid1\.vaultsecret.*…/);
  });
  it('no width (a pipe): nothing is cut', () => {
    assert.match(formatTable(rows), new RegExp(`a{60}\\n$`));
  });
});
