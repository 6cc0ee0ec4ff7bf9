/**
 * Issue 10 ("no silent failures, feedback on every wait") end to end: a real terminal (tmux) for spinners, the
 * silent terminal before `secret upload`'s prompt, and NO_COLOR on the Ink screens; plain pipes for exit codes and
 * notes. Against the emulator (its latency faults make the waits long enough to see). Uses the built binary when
 * present, else the CLI from source (tsx).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { REPO_ROOT, runHidden, type RunResult } from '../helpers/binary.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { cliArgv, haveTmux, Pane } from '../helpers/tmux.js';

if (!haveTmux && process.env.CI) throw new Error('tmux is required in CI (apt-get install -y tmux)');

let emu: TestEmulator;
let home: string;
let env: Record<string, string>;
const panes: Pane[] = [];

before(async () => {
  emu = await startTestEmulator({ seed: { 'listed-secret': 'v1' } });
  home = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-feedback-'));
  for (const d of ['config', 'cache']) mkdirSync(path.join(home, d));
  env = {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, 'config'),
    XDG_CACHE_HOME: path.join(home, 'cache'),
    VAULTMCP_CACHE_KEY: Buffer.alloc(32, 7).toString('base64'),
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
  };
});
after(async () => {
  await emu?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});
afterEach(async () => {
  for (const p of panes.splice(0)) p.kill();
  await emu.admin.clearFaults();
});

const pane = (args: string[], extraEnv: Record<string, string> = {}) => {
  // from source, tsx resolves from the repository; the binary runs anywhere
  const p = new Pane([...cliArgv(), ...args], { ...env, ...extraEnv }, cliArgv().length > 1 ? REPO_ROOT : home);
  panes.push(p);
  return p;
};
/** The CLI with pipes (no terminal anywhere). */
function cli(args: string[], input?: string): Promise<RunResult> {
  const [program, ...pre] = cliArgv();
  return runHidden(program!, [...pre, ...args], { env: { ...env, TERM: undefined }, input, timeoutMs: 60_000, hideRepo: false, cwd: pre.length ? REPO_ROOT : home });
}

describe('exit codes and notes (pipes)', () => {
  it("README's first example works as written: upload github-token, then run github", async () => {
    const up = await cli(['secret', 'upload', 'github-token', '--config', emu.info.resolverConfig], 'ghp_readme_example_token_0123456789');
    assert.equal(up.code, 0, up.stderr);
    const r = await cli(['run', 'github', '--test', '--json', '--config', emu.info.resolverConfig]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { ok: boolean; secrets: Array<{ reference: string }> };
    assert.equal(report.ok, true);
    assert.deepEqual(report.secrets.map((s) => s.reference), ['github-token']);
  });
  it('secret list with a vault OCID that does not exist: exit 3, not an empty list', async () => {
    const r = await cli(['secret', 'list', '--config', emu.info.resolverConfig, '--vault-id', 'ocid1.vault.oc1.us-ashburn-1.nosuchvault']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /vault ocid1\.vault\.oc1\.us-ashburn-1\.nosuchvault does not exist or is not accessible/);
    assert.doesNotMatch(r.stderr, /no secrets in this vault/);
  });
  it('run with a mistyped --env: exit 2 naming the closest environment, before any vault call', async () => {
    await emu.admin.resetStats();
    const r = await cli(['run', 'github', '--env', 'prodution', '--test', '--config', emu.info.resolverConfig]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /unknown environment 'prodution' for service 'github' \(known: default, production\); did you mean 'production'\?/);
    assert.equal((await emu.admin.stats()).requests, 0);
  });
  it('secret rotate notes a trailing newline from stdin, as upload does', async () => {
    const r = await cli(['secret', 'rotate', 'listed-secret', '--config', emu.info.resolverConfig], 'new-value\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /the value ends with a newline, which is stored as part of it \(use --trim/);
  });
  it('--stage is case-insensitive; rotate --verify takes -e like run', async () => {
    const r = await cli(['secret', 'get', 'listed-secret', '--stage', 'current', '--json', '--config', emu.info.resolverConfig]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((JSON.parse(r.stdout) as { stages: string[] }).stages.includes('CURRENT'));
    const help = await cli(['secret', 'rotate', '--help']);
    assert.match(help.stdout, /-e, --env=ENV/);
  });

  it('no spinner when stderr is not a terminal, even for a slow vault', async () => {
    await emu.admin.faults({ latencyMs: 700 });
    const r = await cli(['secret', 'list', '--config', emu.info.resolverConfig]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
  });
});

describe('on a terminal (tmux)', { skip: haveTmux ? false : 'tmux is not installed' }, () => {
  it('secret list shows what it waits for, with the elapsed time, within the first second of a slow vault', async () => {
    await emu.admin.faults({ latencyMs: 1500 });
    const p = pane(['secret', 'list', '--config', emu.info.resolverConfig]);
    await p.waitFor(/listing the secrets of the vault \(\d+\.\d s\)/);
    const screen = await p.waitFor(/EXIT=\d+/);
    assert.match(screen, /EXIT=0/);
    assert.match(screen, /listed-secret/);
    assert.doesNotMatch(screen, /listing the secrets of the vault/, 'the spinner line is removed when done');
  });

  it('a hung vault ends with "timed out after N ms"', async () => {
    await emu.admin.faults({ hang: true });
    const cfg = path.join(home, 'hung.yaml');
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(cfg, `${readFileSync(emu.info.resolverConfig, 'utf8')}resilience: { timeout_ms: 400, retries: 0 }\n`);
    const p = pane(['secret', 'list', '--config', cfg]);
    const screen = await p.waitFor(/EXIT=\d+/);
    assert.match(screen, /timed out after 400 ms/);
    assert.doesNotMatch(screen, /unreachable/);
    assert.match(screen, /EXIT=3/);
  });

  it('secret upload: keys typed while the vault is checked never echo; they become the masked input', async () => {
    await emu.admin.faults({ latencyMs: 1500 });
    const typed = 'typed-early-s3cr3t';
    const p = pane(['secret', 'upload', 'typed-early', '--config', emu.info.resolverConfig]);
    await p.waitFor(/checking 'typed-early' in the vault/); // a vault call is under way, the prompt not shown yet
    p.type(typed);
    const prompt = await p.waitFor(/Value for secret 'typed-early' \(input hidden\): \*+/);
    assert.ok(!prompt.includes(typed), `typed value visible:\n${prompt}`);
    assert.match(prompt, new RegExp(`input hidden\\): \\*{${typed.length}}`));
    await emu.admin.clearFaults();
    p.keys('Enter');
    await p.waitFor(/Repeat the value to confirm:/);
    p.type(typed);
    p.keys('Enter');
    const screen = await p.waitFor(/EXIT=\d+/);
    assert.match(screen, /EXIT=0/);
    assert.ok(!screen.includes(typed), `typed value visible:\n${screen}`);
    const r = await cli(['secret', 'get', 'typed-early', '--reveal', '--config', emu.info.resolverConfig]);
    assert.equal(r.stdout, typed);
  });

  describe('colour', () => {
    // SGR colour sequences (foreground 30–37/90–97/38;…), as capture-pane -e shows them
    const COLOUR = /\u001b\[(?:[0-9;]*;)?(?:3[0-8]|9[0-7])(?:;[0-9;]*)?m/;
    const doctorScreen = async (args: string[], extra: Record<string, string>) => {
      const p = pane(['doctor', ...args], { XDG_CONFIG_HOME: path.join(home, 'empty'), ...extra });
      await p.waitFor(/EXIT=\d+/, 30_000);
      const screen = p.screen(true);
      assert.match(screen, /Settings found and valid/, 'the doctor checklist was drawn');
      return screen;
    };
    it('the Ink doctor screen is coloured by default (so the checks below can fail)', async () => {
      assert.match(await doctorScreen([], {}), COLOUR);
    });
    it('NO_COLOR=1: no colour on the Ink screen', async () => {
      assert.doesNotMatch(await doctorScreen([], { NO_COLOR: '1' }), COLOUR);
    });
    it('--no-color: no colour', async () => {
      assert.doesNotMatch(await doctorScreen(['--no-color'], {}), COLOUR);
    });
    it('FORCE_COLOR=1 wins over NO_COLOR', async () => {
      assert.match(await doctorScreen([], { NO_COLOR: '1', FORCE_COLOR: '1' }), COLOUR);
    });
  });
});
