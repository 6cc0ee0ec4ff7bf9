/**
 * The MCP server's working directory (src/core/launcher/workdir.ts) through the built binary: by default a
 * private empty directory, never the caller's, so a cloned repository's node_modules/.npmrc cannot decide which
 * code receives the secrets; `--cwd DIR`, `--cwd inherit` and the service's `cwd` are explicit choices.
 * The fixture server needs no vault: it declares no secrets and prints its working directory on stderr.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBinary } from '../helpers/binary.js';

describe('run: the server working directory (built binary)', () => {
  let dir: string;
  let project: string;
  let home: string;
  let env: Record<string, string>;
  const service = (extra: Record<string, unknown> = {}) => {
    const file = path.join(dir, `svc-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ secrets: {}, target_command: ['sh', '-c', 'echo "CWD=$(pwd -P)" >&2'], ...extra }));
    return file;
  };
  const cwdOf = (stderr: string) => /CWD=(.*)/.exec(stderr)?.[1];

  before(() => {
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-cwd-')));
    home = path.join(dir, 'home');
    project = path.join(dir, 'cloned-repo');
    // what a hostile repository could carry: a package that would shadow the real server under npx
    mkdirSync(path.join(project, 'node_modules', '.bin'), { recursive: true });
    writeFileSync(path.join(project, '.npmrc'), 'registry=http://127.0.0.1:9/\n');
    mkdirSync(home, { recursive: true });
    env = { HOME: home, XDG_STATE_HOME: path.join(home, '.local', 'state'), VAULTMCP_SYSTEM_CONFIG_DIR: path.join(dir, 'etc') };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('by default the server runs in a private empty directory, not in the caller\'s', async () => {
    const r = await runBinary(['run', service()], { env, cwd: project });
    assert.equal(r.code, 0, r.stderr);
    const base = path.join(home, '.local', 'state', 'oci-vault-mcp', 'servers');
    assert.equal(path.dirname(cwdOf(r.stderr)!), base);
    assert.match(path.basename(cwdOf(r.stderr)!), /^run-\d+-/);
    assert.equal(statSync(base).mode & 0o777, 0o700);
  });

  it('each run gets a new empty directory, removed afterwards: what one server plants, the next never sees', async () => {
    // a server that plants what `npx` would run in the next server's directory, and reports what it found
    const plant = service({
      target_command: ['sh', '-c', 'ls -A >&2; echo "CWD=$(pwd -P)" >&2; mkdir -p node_modules/.bin && echo "{}" > package.json && ls -A >&2'],
    });
    const first = await runBinary(['run', plant], { env, cwd: project });
    assert.equal(first.code, 0, first.stderr);
    const second = await runBinary(['run', plant], { env, cwd: project });
    assert.equal(second.code, 0, second.stderr);
    const [dir1, dir2] = [cwdOf(first.stderr)!, cwdOf(second.stderr)!];
    assert.notEqual(dir1, dir2);
    // the second server started in an empty directory (nothing listed before CWD=)
    assert.match(second.stderr, /^CWD=/m);
    assert.equal(second.stderr.split('CWD=')[0]!.trim(), '');
    assert.throws(() => statSync(dir1), /ENOENT/);
    assert.throws(() => statSync(dir2), /ENOENT/);
  });

  it('--cwd inherit, --cwd DIR and the service cwd are explicit choices; a missing directory is exit 2', async () => {
    assert.equal(cwdOf((await runBinary(['run', service(), '--cwd', 'inherit'], { env, cwd: project })).stderr), project);
    assert.equal(cwdOf((await runBinary(['run', service(), '--cwd', dir], { env, cwd: project })).stderr), dir);
    assert.equal(cwdOf((await runBinary(['run', service({ cwd: dir })], { env, cwd: project })).stderr), dir);
    const missing = await runBinary(['run', service(), '--cwd', path.join(dir, 'nope')], { env, cwd: project });
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /^Error: working directory for the server does not exist: .*nope\n  Try: /);
  });

  it('--test shows the working directory', async () => {
    const r = await runBinary(['run', service(), '--test', '--json'], { env, cwd: project });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.cwd, path.join(home, '.local', 'state', 'oci-vault-mcp', 'servers'));
    assert.equal(report.cwdFresh, true);
  });
});
