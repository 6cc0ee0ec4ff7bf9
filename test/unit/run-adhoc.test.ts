/** `run [--secret VAR=REF]… [--env-file FILE] -- COMMAND`: parsing (both parsers) and the in-memory service (src/app/run/adhoc.ts). */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adhocService, isSecretReference, parseAssignments } from '../../src/app/run/adhoc.js';
import { parseRunArgv } from '../../src/cli/run-flags.js';
import { UsageError } from '../../src/core/errors.js';

const base = { test: false, json: false, verbose: false, offline: false, refresh: false, extraArgs: [] };
const SECRET_OCID = 'ocid1.vaultsecret.oc1.eu-frankfurt-1.amaaaexample';

describe('run -- COMMAND parsing', () => {
  it('the fast path takes a command after -- with repeatable --secret and --env-file', () => {
    assert.deepEqual(parseRunArgv(['--secret', 'A=a-ref', '--secret', 'B=vault:b', '--env-file', '.env', '--', 'npx', '-y', 'srv', '--', 'x']), {
      ...base, service: '', command: ['npx', '-y', 'srv', '--', 'x'], secrets: ['A=a-ref', 'B=vault:b'], envFile: '.env',
    });
    assert.deepEqual(parseRunArgv(['--', 'node', 's.js']), { ...base, service: '', command: ['node', 's.js'] });
    assert.equal(parseRunArgv(['--secret', 'A=b', '--']), undefined, 'no command: oclif says what is missing');
  });
  it('a service run still parses as before', () => {
    assert.deepEqual(parseRunArgv(['github', '--', '--ro']), { ...base, service: 'github', extraArgs: ['--ro'] });
  });
  it('oclif agrees: the command line gives the same request', async () => {
    const { default: Run } = await import('../../src/cli/commands/run.js');
    const { Parser } = await import('@oclif/core');
    const argv = ['--secret', 'A=a-ref', '--secret', 'B=vault:b', '--env-file', '.env'];
    const parsed = await Parser.parse(argv, { flags: { ...Run.baseFlags, ...Run.flags }, args: Run.args, strict: Run.strict });
    const fast = parseRunArgv([...argv, '--', 'cmd'])!;
    assert.deepEqual([parsed.flags.secret, parsed.flags['env-file']], [fast.secrets, fast.envFile]);
  });
});

describe('adhocService', () => {
  let dir: string;
  const ctx = () => ({ cwd: dir, homeDir: dir });
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-adhoc-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('--secret and an env file: references become secrets, other values plain variables; --secret wins', async () => {
    await writeFile(
      path.join(dir, '.env'),
      [
        '# comment',
        'GITHUB_TOKEN=vault:github-token',
        `DB_PASSWORD="${SECRET_OCID}"`,
        'URL=oci-vault://ocid1.vault.oc1.eu-frankfurt-1.abcdefgh/url?version=2',
        'LOG_LEVEL=debug',
        "GREETING='hello world'",
        'export API_KEY=literal-key',
        'OVERRIDDEN=plain',
      ].join('\n'),
    );
    const svc = await adhocService(ctx(), { command: ['npx', '-y', 'srv'], envFile: '.env', secrets: ['OVERRIDDEN=vault:o', 'EXTRA=extra-name'] });
    assert.deepEqual(svc.secrets, {
      GITHUB_TOKEN: 'github-token',
      DB_PASSWORD: SECRET_OCID,
      URL: 'oci-vault://ocid1.vault.oc1.eu-frankfurt-1.abcdefgh/url?version=2',
      OVERRIDDEN: 'o',
      EXTRA: 'extra-name',
    });
    assert.deepEqual(svc.env_overrides, { LOG_LEVEL: 'debug', GREETING: 'hello world', API_KEY: 'literal-key' });
    assert.deepEqual(svc.target_command, ['npx', '-y', 'srv']);
    assert.equal(svc.name, 'npx');
    assert.equal(svc.cwd, undefined, 'a private empty working directory, as for a service');
    assert.equal(svc.origin, path.join(dir, '.env'));
  });
  it('bad input: one-line usage errors', async () => {
    await assert.rejects(adhocService(ctx(), { command: ['x'], secrets: ['NOEQUALS'] }), (e: UsageError) => e instanceof UsageError && /VAR=VALUE/.test(e.message));
    await assert.rejects(adhocService(ctx(), { command: ['x'], secrets: ['A=b', 'A=c'] }), /given twice/);
    await assert.rejects(adhocService(ctx(), { command: ['x'], secrets: ['A='] }), /has no value/);
    await assert.rejects(adhocService(ctx(), { command: ['x'], secrets: ['A=bad name'] }), /^UsageError: A: /);
    await assert.rejects(adhocService(ctx(), { command: ['x'], envFile: 'missing.env' }), /env file not found/);
  });
  it('recognises reference values', () => {
    assert.ok(isSecretReference('vault:x') && isSecretReference(SECRET_OCID) && isSecretReference('oci-vault://a/b'));
    assert.ok(!isSecretReference('github-token') && !isSecretReference('https://x') && !isSecretReference('vault: x'));
    assert.deepEqual(parseAssignments(['K=a=b', 'E='], '--env-override', { allowEmpty: true }), { K: 'a=b', E: '' });
  });
});
