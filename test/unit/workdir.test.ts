/**
 * The server's working directory (src/core/launcher/workdir.ts): a new empty private directory per launch, removed
 * after it; directories of launches that died are swept; and PATH keeps only absolute entries (env.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { absolutePathEntries, buildChildEnv } from '../../src/core/launcher/env.js';
import { createRunDirectory, lookupDirectory, serverWorkdir } from '../../src/core/launcher/workdir.js';
import { resolveExecutable } from '../../src/core/launcher/executable.js';
import { waitUntil } from '../helpers/wait.js';

function ctx() {
  const home = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-workdir-'));
  return { env: { XDG_STATE_HOME: path.join(home, 'state') }, homeDir: home, cwd: home };
}

describe('per-launch working directory', () => {
  it('each launch gets its own new, empty, 0700 directory inside the private base; removed afterwards', async () => {
    const wd = await serverWorkdir(ctx());
    assert.equal(wd.fresh, true);
    const a = await createRunDirectory(wd);
    const b = await createRunDirectory(wd);
    assert.notEqual(a.path, b.path);
    assert.equal(path.dirname(a.path), wd.dir);
    assert.equal(statSync(a.path).mode & 0o777, 0o700);
    // what the first server plants is not in the second's directory
    mkdirSync(path.join(a.path, 'node_modules', '.bin'), { recursive: true });
    writeFileSync(path.join(a.path, 'package.json'), '{}');
    assert.deepEqual(readdirSync(b.path), []);
    await a.remove();
    await b.remove();
    assert.ok(!existsSync(a.path) && !existsSync(b.path));
  });

  it('a relative target_command is looked up in an empty directory, not in the shared base', async () => {
    const wd = await serverWorkdir(ctx());
    writeFileSync(path.join(wd.dir, 'server.sh'), '#!/bin/sh\n', { mode: 0o755 });
    assert.throws(() => resolveExecutable('./server.sh', { PATH: '/usr/bin' }, lookupDirectory(wd)), /not found/);
  });

  it('sweeps directories left by launches whose process is gone, keeps live ones', async () => {
    const wd = await serverWorkdir(ctx());
    const dead = path.join(wd.dir, 'run-2147483646-abc');
    const live = path.join(wd.dir, `run-${process.ppid}-abc`);
    mkdirSync(dead);
    mkdirSync(live);
    const mine = await createRunDirectory(wd);
    await waitUntil(() => !existsSync(dead), 'the dead launch directory to be swept');
    assert.ok(existsSync(live));
    await mine.remove();
  });

  it('explicit directories are used as they are and never removed', async () => {
    const c = ctx();
    const wd = await serverWorkdir(c, 'inherit');
    const d = await createRunDirectory(wd);
    assert.equal(d.path, c.cwd);
    await d.remove();
    assert.ok(existsSync(c.cwd));
  });
});

describe('PATH for the server', () => {
  it('drops empty and relative entries, whichever layer set PATH', () => {
    assert.equal(absolutePathEntries(':/usr/bin:node_modules/.bin:.::bin:/bin:', ':'), '/usr/bin:/bin');
    assert.equal(absolutePathEntries('C:\\\\bin;.;node_modules\\\\.bin;;D:\\\\x', ';'), 'C:\\\\bin;D:\\\\x');
    const fromParent = buildChildEnv({ parent: { PATH: '.:/usr/bin:node_modules/.bin' } });
    assert.equal(fromParent.env.PATH, '/usr/bin');
    const fromOverride = buildChildEnv({ parent: { PATH: '/usr/bin' }, overrides: { PATH: 'bin:/opt/x' } });
    assert.equal(fromOverride.env.PATH, '/opt/x');
  });
});
