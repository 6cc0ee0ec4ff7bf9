/** Unknown commands suggest commands that exist (issue 10 §9): `secrets list` → `secret list`, never `secrets --help`. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMANDS } from '../../src/cli/command-table.js';
import { usageMessage } from '../../src/cli/render-error.js';

const ids = Object.keys(COMMANDS);
const topics = new Set(ids.filter((i) => i.includes(':')).map((i) => i.split(':')[0]!));

/** True when `docker vaultmcp WORDS [--help]` names a real command or topic. */
function hintWorks(hint: string): boolean {
  const words = hint.replace(/^docker vaultmcp\s*/, '').replace(/\s*--help$/, '').split(' ').filter(Boolean);
  if (words.length === 0) return true;
  if (words.length === 1 && topics.has(words[0]!)) return true;
  return ids.some((id) => id.split(':').every((p, i) => words[i] === p));
}

describe('unknown command suggestions', () => {
  const cases: Array<[string, string | undefined]> = [
    ['secrets:list', 'secret list'],
    ['secret:lst', 'secret list'],
    ['sercet:upload', 'secret upload'],
    ['rn:github', 'run github'],
    ['docter', 'doctor'],
    ['servce:show:github', 'service show github'],
    ['foo:bar:baz', undefined],
    ['secret:no-such', undefined],
  ];
  for (const [id, expected] of cases) {
    it(`${id.replace(/:/g, ' ')} → ${expected ?? 'help that exists'}`, () => {
      const { message, hint } = usageMessage(`command ${id} not found`, undefined, ids);
      if (expected) {
        assert.match(message, new RegExp(`did you mean '${expected}'\\?$`));
        assert.equal(hint, `docker vaultmcp ${expected}`);
      } else {
        assert.doesNotMatch(message, /did you mean/);
      }
      assert.ok(hintWorks(hint), `the hint '${hint}' names a command that exists`);
    });
  }
});
