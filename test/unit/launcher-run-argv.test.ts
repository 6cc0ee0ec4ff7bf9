/**
 * The `run` fast path's argument parser (src/commands/run-launch.ts parseRunArgv): it must accept exactly the
 * plain invocations and hand everything else (help, unknown or repeated flags, stray words) to oclif.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRunArgv } from '../../src/commands/run-launch.js';

const base = { test: false, json: false, verbose: false, offline: false, refresh: false, extraArgs: [] };

describe('parseRunArgv', () => {
  it('parses the plain invocations MCP clients use', () => {
    assert.deepEqual(parseRunArgv(['github']), { ...base, service: 'github' });
    assert.deepEqual(parseRunArgv(['github', '--env', 'production']), { ...base, service: 'github', env: 'production' });
    assert.deepEqual(parseRunArgv(['-e', 'prod', './x.json', '--config=/etc/r.yaml', '-v']), {
      ...base, service: './x.json', env: 'prod', config: '/etc/r.yaml', verbose: true,
    });
    assert.deepEqual(parseRunArgv(['github', '--test', '--json', '--offline']), { ...base, service: 'github', test: true, json: true, offline: true });
  });

  it('takes everything after -- verbatim', () => {
    assert.deepEqual(parseRunArgv(['fs', '--', '--help', '-v', '--', 'x']), { ...base, service: 'fs', extraArgs: ['--help', '-v', '--', 'x'] });
  });

  it('leaves anything unusual to oclif', () => {
    for (const argv of [
      [], ['--help'], ['github', '--help'], ['github', '-h'], ['github', '--unknown'], ['github', 'stray'],
      ['github', '--env'], ['github', '--env', '--test'], ['github', '--env='], ['github', '--test=yes'],
      ['github', '--env', 'a', '--env', 'b'], ['github', '-v', '--verbose'], ['--env', 'x'], ['github', '-eprod'],
    ]) {
      assert.equal(parseRunArgv(argv), undefined, argv.join(' '));
    }
  });
});
