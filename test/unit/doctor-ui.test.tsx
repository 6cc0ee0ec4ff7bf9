/** Ink components of doctor and setup, rendered with ink-testing-library (no TTY needed). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { render } from 'ink-testing-library';
import { DoctorChecklist } from '../../src/ui/doctor/checklist.js';
import { SelectList } from '../../src/ui/components/select-list.js';
import { TextPrompt } from '../../src/ui/components/text-prompt.js';
import { Confirm } from '../../src/ui/components/confirm.js';

const tick = () => new Promise((r) => setTimeout(r, 50));

describe('Ink components', () => {
  test('DoctorChecklist: icons, timings, detail and fix only where useful', () => {
    const { lastFrame, unmount } = render(
      <DoctorChecklist
        rows={[
          { id: 'auth', title: 'Authentication', state: 'done', result: { id: 'auth', title: 'Authentication', status: 'pass', detail: 'ok', hint: '', ms: 12 } },
          { id: 'key-file', title: 'Key file', state: 'done', result: { id: 'key-file', title: 'Key file', status: 'fail', detail: 'mode 0644', hint: 'chmod 600 k', ms: 1 } },
          { id: 'vault', title: 'Vault', state: 'pending' },
        ]}
        summary="1 passed, 0 warnings, 1 failed, 0 skipped in 13 ms"
      />,
    );
    const frame = lastFrame()!;
    unmount();
    assert.match(frame, /✔ Authentication {2}auth {2}12 ms/);
    assert.doesNotMatch(frame, /\n {2}ok\n/); // a pass shows no detail line
    assert.match(frame, /✖ Key file {2}key-file {2}1 ms\n {2}mode 0644\n {2}fix: chmod 600 k/);
    assert.match(frame, /· Vault/);
    assert.match(frame, /1 passed, 0 warnings, 1 failed/);
  });

  test('SelectList: arrows, type-to-filter, Enter selects, Esc goes back', async () => {
    let chosen: string | undefined;
    let back = 0;
    const items = ['alpha', 'beta', 'gamma', 'delta'].map((v) => ({ label: v, description: `id-${v}`, value: v }));
    const { stdin, lastFrame, unmount } = render(<SelectList items={items} onSelect={(v) => (chosen = v)} onBack={() => back++} limit={3} />);
    await tick();
    assert.match(lastFrame()!, /❯ alpha/);
    stdin.write('\u001b[B'); // down
    await tick();
    assert.match(lastFrame()!, /❯ beta/);
    stdin.write('mm');
    await tick();
    assert.match(lastFrame()!, /filter: mm\n❯ gamma/);
    stdin.write('\r');
    await tick();
    assert.equal(chosen, 'gamma');
    stdin.write('zz');
    await tick();
    assert.match(lastFrame()!, /no match/);
    stdin.write('\u001b');
    await tick();
    assert.equal(back, 1);
    unmount();
  });

  test('TextPrompt validates and masks; Confirm answers y/n', async () => {
    let submitted: string | undefined;
    const p = render(<TextPrompt label="Passphrase" mask validate={(v) => (v.length < 3 ? 'too short' : undefined)} onSubmit={(v) => (submitted = v)} />);
    await tick();
    p.stdin.write('ab');
    await tick();
    p.stdin.write('\r');
    await tick();
    assert.match(p.lastFrame()!, /Passphrase: \*\*/);
    assert.match(p.lastFrame()!, /too short/);
    assert.doesNotMatch(p.lastFrame()!, /ab/);
    p.stdin.write('c');
    await tick();
    p.stdin.write('\r');
    await tick();
    assert.equal(submitted, 'abc');
    p.unmount();

    // text, Backspace and Enter in one read (a pasted line, a scripted terminal): Ink hands over "x\x7f" split
    // but "ef\r" whole; the line must still be submitted with what was typed before the break
    let line: string | undefined;
    const t = render(<TextPrompt label="Name" onSubmit={(v) => (line = v)} />);
    await tick();
    t.stdin.write('abcx\x7fdef\rignored');
    await tick();
    assert.equal(line, 'abcdef');
    t.unmount();

    let answer: boolean | undefined;
    const c = render(<Confirm question="Replace it?" onAnswer={(y) => (answer = y)} />);
    await tick();
    assert.match(c.lastFrame()!, /Replace it\? \[y\/N\]/);
    c.stdin.write('\r');
    await tick();
    assert.equal(answer, false);
    c.stdin.write('y');
    await tick();
    assert.equal(answer, true);
    c.unmount();
  });
});
