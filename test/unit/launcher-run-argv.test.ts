/**
 * The `run` fast path's argument parser (src/cli/run-argv.ts parseRunArgv): it must accept exactly the
 * plain invocations and hand everything else (help, unknown or repeated flags, stray words) to oclif.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRunArgv, parseStopTimeout } from '../../src/cli/run-flags.js';
import { UsageError } from '../../src/core/errors.js';

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

  it('--stop-timeout S: seconds to ms; anything else goes to oclif, whose parse says what is wrong', () => {
    assert.deepEqual(parseRunArgv(['github', '--stop-timeout', '2.5']), { ...base, service: 'github', stopTimeoutMs: 2500 });
    assert.deepEqual(parseRunArgv(['github', '--stop-timeout=0']), { ...base, service: 'github', stopTimeoutMs: 0 });
    for (const bad of ['-1', 'x', '1e3', '10s', '1.2345']) assert.equal(parseRunArgv(['github', '--stop-timeout', bad]), undefined, bad);
    assert.throws(() => parseStopTimeout('10s'), (e: unknown) => e instanceof UsageError && e.exitCode === 2 && /--stop-timeout/.test(e.message));
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

describe('parseRunArgv agrees with oclif', () => {
  it('gives the same values as oclif parsing the Run command for every plain invocation', async () => {
    const { Parser } = await import('@oclif/core');
    const { default: Run } = await import('../../src/cli/commands/run.js');
    const corpus = [
      ['github'],
      ['github', '--env', 'production'],
      ['-e', 'prod', './x.json', '--config=/etc/r.yaml', '-v'],
      ['github', '--test', '--json', '--offline'],
      ['github', '--refresh', '--verbose', '--env=staging'],
      ['fs', '--config', 'r.yaml', '--', '--help', '-v'],
    ];
    for (const argv of corpus) {
      const fast = parseRunArgv(argv)!;
      assert.ok(fast, argv.join(' '));
      const dashDash = argv.indexOf('--');
      const parsed = await Parser.parse(dashDash >= 0 ? argv.slice(0, dashDash) : argv, {
        flags: { ...Run.baseFlags, ...Run.flags },
        args: Run.args,
        strict: Run.strict,
      });
      const f = parsed.flags as Record<string, unknown>;
      assert.deepEqual(
        { service: fast.service, env: fast.env, config: fast.config, test: fast.test, json: fast.json, verbose: fast.verbose, offline: fast.offline, refresh: fast.refresh },
        { service: parsed.args.service, env: f.env, config: f.config, test: f.test, json: f.json, verbose: f.verbose, offline: f.offline, refresh: f.refresh },
        argv.join(' '),
      );
    }
  });

  it('knows exactly the flags the Run command declares', async () => {
    const { default: Run } = await import('../../src/cli/commands/run.js');
    const declared = Object.entries({ ...Run.baseFlags, ...Run.flags }).flatMap(([name, def]) => [
      `--${name}`,
      ...((def as { char?: string }).char ? [`-${(def as { char?: string }).char}`] : []),
    ]);
    // oclif only, on purpose: `--reload PID` signals another run and never starts a server
    const oclifOnly = new Set(['--reload']);
    // flags that only apply together with another one
    const companion: Record<string, string[]> = { '--interval': ['--watch', '--interval', '60'], '--watch-strict': ['--watch', '--watch-strict'] };
    for (const flag of declared) {
      // removed from argv by src/main.ts before any parser sees it (cli/color.ts applies it first)
      if (flag === '--no-color') continue;
      if (oclifOnly.has(flag)) {
        assert.equal(parseRunArgv(['svc', flag, '1']), undefined, `${flag} must go to oclif`);
        continue;
      }
      if (companion[flag]) {
        assert.ok(parseRunArgv(['svc', ...companion[flag]!]), `the fast path does not know ${flag}`);
        continue;
      }
      const needsValue = (Run.flags as Record<string, { type: string }>)[flag.replace(/^-+/, '')]?.type === 'option' ||
        flag === '--config' || flag === '-e' || flag === '--env';
      const argv = needsValue ? ['svc', flag, flag === '--stop-timeout' ? '5' : 'x'] : ['svc', flag];
      assert.ok(parseRunArgv(argv), `the fast path does not know ${flag} (add it or keep it oclif-only on purpose)`);
    }
  });
});
