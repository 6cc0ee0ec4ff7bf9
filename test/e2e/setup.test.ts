/**
 * `setup` driven for real: the Ink wizard in a tmux pane (120x40) against the emulator, keys sent with
 * send-keys and each step asserted with capture-pane; then the non-interactive (flags) form.
 * Uses the built binary when present (else `tsx src/main.ts`; VAULTMCP_E2E_TSX=1 forces tsx). Needs tmux
 * (CI installs it); skipped with a reason when it is missing outside CI.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { binaryPath, REPO_ROOT, runHidden, type RunResult } from '../helpers/binary.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { setTimeout as settle } from 'node:timers/promises';
import { waitUntil } from '../helpers/wait.js';

const haveTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
if (!haveTmux && process.env.CI) throw new Error('tmux is required in CI (apt-get install -y tmux)');

function binary(): string | undefined {
  if (process.env.VAULTMCP_E2E_TSX === '1') return undefined;
  try {
    return binaryPath();
  } catch {
    return undefined;
  }
}
/** argv prefix that starts our CLI (binary, or node + tsx). */
function cliArgv(): string[] {
  const bin = binary();
  return bin ? [bin] : [process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'src/main.ts')];
}

const SECRET = 'setup-e2e-secret-value-0123';
let emu: TestEmulator;
const dirs: string[] = [];
before(async () => {
  emu = await startTestEmulator({ seed: { 'fixture-token': SECRET } });
});
after(async () => {
  await emu?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Home {
  home: string;
  configHome: string;
  resolverFile: string;
  dockerConfig: string;
  env: Record<string, string>;
}

function newHome(): Home {
  const home = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-setup-e2e-'));
  dirs.push(home);
  const configHome = path.join(home, 'xdg-config');
  const dockerConfig = path.join(home, 'docker-config');
  return {
    home,
    configHome,
    dockerConfig,
    resolverFile: path.join(configHome, 'oci-vault-mcp', 'resolver.yaml'),
    env: {
      HOME: home,
      XDG_CONFIG_HOME: configHome,
      XDG_CACHE_HOME: path.join(home, 'cache'),
      DOCKER_CONFIG: dockerConfig,
      OCI_CONFIG_FILE: emu.info.ociConfigFile,
      VAULTMCP_SYSTEM_CONFIG_DIR: path.join(home, 'etc'),
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      ...(process.env.VAULTMCP_SECRET_SERVICE === '1' ? {} : { VAULTMCP_CACHE_KEY: Buffer.alloc(32, 3).toString('base64') }),
      ...(process.env.DBUS_SESSION_BUS_ADDRESS ? { DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS } : {}),
    },
  };
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** One tmux server (own socket) running one command in a 120x40 pane. */
class Pane {
  private readonly socket = `vaultmcp-setup-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  constructor(argv: string[], env: Record<string, string>, cwd: string) {
    const envArgs = Object.entries(env).map(([k, v]) => `${k}=${shq(v)}`).join(' ');
    // keep the pane open after exit so the exit status can be read
    const cmd = `cd ${shq(cwd)} && env -i ${envArgs} ${argv.map(shq).join(' ')}; echo "EXIT=$?"; sleep 600`;
    execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', 'new-session', '-d', '-x', '120', '-y', '40', cmd]);
  }
  screen(): string {
    return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p'], { encoding: 'utf8' });
  }
  keys(...keys: string[]): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', ...keys]);
  }
  type(text: string): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-l', text]);
  }
  /** Waits until the screen matches; fails with the screen shown. */
  async waitFor(re: RegExp, timeoutMs = 20_000): Promise<string> {
    let last = '';
    try {
      await waitUntil(() => re.test((last = this.screen())), String(re), { timeoutMs, intervalMs: 100 });
    } catch {
      throw new Error(`timed out waiting for ${re}; screen:\n${last}`);
    }
    // Let the new step's key handler subscribe: Ink registers useInput in an effect after the frame is drawn, and
    // nothing outside the process can observe that moment (no clock of ours to inject here).
    await settle(150);
    return last;
  }
  /** Sends keys and waits until the screen matches `re`. */
  async step(keys: string[], re: RegExp): Promise<string> {
    this.keys(...keys);
    return this.waitFor(re);
  }
  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
  }
}

function startWizard(h: Home, extra: string[] = []): Pane {
  return new Pane([...cliArgv(), 'setup', '--endpoint', emu.info.endpoint, '--timeout-ms', '5000', ...extra], h.env, binary() ? h.home : REPO_ROOT);
}

/** Walks from the start to the review step (the resolver.yaml preview), asserting each screen. */
async function driveToReview(p: Pane): Promise<string> {
  await p.waitFor(/OCI config profile[\s\S]*❯ DEFAULT .*config/);
  await p.step(['Enter'], /Authentication method[\s\S]*❯ api_key/);
  await p.step(['Enter'], /Region of the vault: us-ashburn-1/);
  await p.step(['Enter'], /Which compartment holds the vault\?[\s\S]*\(root\)[\s\S]*ocid1\.compartment/);
  p.type('compartment'); // type-to-filter: only the child compartment matches (its OCID)
  await p.waitFor(/filter: compartment\n❯ .*ocid1\.compartment/);
  await p.step(['Enter'], /Which vault stores the MCP secrets\?[\s\S]*❯ vaultmcp-emulator +ACTIVE/);
  await p.step(['Escape'], /Which compartment holds the vault\?/); // Esc goes back one step
  await p.step(['Down', 'Enter'], /Which vault stores the MCP secrets\?/);
  await p.step(['Enter'], /Which master encryption key[\s\S]*❯ vaultmcp-emulator-key +ENABLED/);
  await p.step(['Enter'], /✔ api_key \(profile DEFAULT\): signed requests accepted; vault 'vaultmcp-emulator' is ACTIVE/);
  return p.step(['Enter'], /Write resolver\.yaml[\s\S]*(Write it\?|Replace it)/);
}

function runCli(args: string[], h: Home, input?: string): Promise<RunResult> {
  const bin = binary();
  const env = { ...h.env, TERM: undefined as unknown as string };
  if (bin) return runHidden(bin, args, { env, input, timeoutMs: 60_000 });
  return runHidden(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/main.ts'), ...args], { env, input, timeoutMs: 60_000, hideRepo: false, cwd: REPO_ROOT });
}

describe('setup wizard under tmux', { skip: haveTmux ? false : 'tmux is not installed' }, () => {
  test('every step, writes resolver.yaml (0600), then doctor passes auth and `run --test` works', async () => {
    const h = newHome();
    const p = startWizard(h);
    try {
      const review = await driveToReview(p);
      assert.match(review, new RegExp(`This will be written to ${h.resolverFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
      assert.match(review, new RegExp(`vault_id: ${emu.info.vaultId}`));
      assert.match(review, new RegExp(`key_id: ${emu.info.keyId}`));
      assert.match(review, new RegExp(`endpoint: ${emu.info.endpoint}`));
      assert.ok(!existsSync(h.resolverFile), 'written before the final confirmation');
      p.type('y');
      if (binary()) {
        await p.waitFor(/Install this binary as the Docker plugin/);
        p.type('y');
      }
      const done = await p.waitFor(/Setup complete\. Press Enter to exit\./, 40_000);
      assert.match(done, /✔ wrote .*resolver\.yaml/);
      assert.match(done, /✔ Authentication \(a signed vault call\)/);
      assert.match(done, /✔ Vault reachable/);
      assert.match(done, /\d+ passed, \d+ warnings?, \d+ failed/);
      if (binary()) assert.match(done, /✔ Docker CLI plugin installed|installed the Docker plugin/);
      await p.step(['Enter'], /EXIT=0/);
    } finally {
      p.kill();
    }
    assert.equal(statSync(h.resolverFile).mode & 0o777, 0o600);
    const text = readFileSync(h.resolverFile, 'utf8');
    assert.match(text, new RegExp(`vault_id: ${emu.info.vaultId}`));
    assert.match(text, new RegExp(`compartment_id: ${emu.info.compartmentId}`));
    assert.match(text, /method: api_key/);
    if (binary()) assert.ok(existsSync(path.join(h.dockerConfig, 'cli-plugins', 'docker-vaultmcp')));

    // a working `run --test` with the written settings
    const services = path.join(h.configHome, 'oci-vault-mcp', 'services');
    mkdirSync(services, { recursive: true });
    writeFileSync(path.join(services, 'fixture.json'), JSON.stringify({ secrets: { FIXTURE_TOKEN: 'fixture-token' }, target_command: ['sh', '-c', 'exit 0'] }));
    const run = await runCli(['run', 'fixture', '--test'], h);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.ok(!(run.stdout + run.stderr).includes(SECRET), 'run --test printed the value');
    const doctor = await runCli(['doctor', '--json', '--timeout-ms', '5000'], h);
    const auth = JSON.parse(doctor.stdout).checks.find((c: { id: string }) => c.id === 'auth');
    assert.equal(auth.status, 'pass');
  });

  test('Ctrl-C mid-way quits cleanly and leaves nothing behind', async () => {
    const h = newHome();
    const p = startWizard(h);
    try {
      await p.waitFor(/OCI config profile/);
      await p.step(['Enter'], /Authentication method/);
      await p.step(['Enter'], /Region of the vault/);
      await p.step(['Enter'], /Which compartment holds the vault\?/);
      const screen = await p.step(['C-c'], /EXIT=130/);
      assert.match(screen, /setup cancelled: .*resolver\.yaml was not written/);
    } finally {
      p.kill();
    }
    assert.ok(!existsSync(h.resolverFile));
    assert.ok(!existsSync(path.join(h.configHome, 'oci-vault-mcp')) || readdirSync(path.join(h.configHome, 'oci-vault-mcp')).length === 0);
    assert.ok(!existsSync(path.join(h.dockerConfig, 'cli-plugins')));
  });

  test('an existing resolver.yaml: No leaves it unchanged; Yes replaces it and keeps a backup', async () => {
    const h = newHome();
    mkdirSync(path.dirname(h.resolverFile), { recursive: true });
    const original = '# my own settings\ncache:\n  ttl: 120\n';
    writeFileSync(h.resolverFile, original, { mode: 0o600 });

    const no = startWizard(h);
    try {
      const review = await driveToReview(no);
      assert.match(review, /exists\. Replace it \(a backup is kept\)\? \[y\/N\]/);
      assert.match(review, /ttl: 120/); // the user's other settings are kept in the new content
      no.type('n');
      await no.waitFor(/EXIT=1/);
    } finally {
      no.kill();
    }
    assert.equal(readFileSync(h.resolverFile, 'utf8'), original);
    assert.deepEqual(readdirSync(path.dirname(h.resolverFile)).filter((f) => f.includes('.bak-')), []);

    const yes = startWizard(h);
    try {
      await driveToReview(yes);
      yes.type('y');
      if (binary()) {
        await yes.waitFor(/Docker plugin/);
        yes.type('n');
      }
      const done = await yes.waitFor(/Setup complete/, 40_000);
      assert.match(done, /previous version kept as\s+\S*resolver\.yaml\.bak-\d{8}T\d{6}Z/);
      await yes.step(['Enter'], /EXIT=0/);
    } finally {
      yes.kill();
    }
    const backups = readdirSync(path.dirname(h.resolverFile)).filter((f) => /^resolver\.yaml\.bak-\d{8}T\d{6}Z$/.test(f));
    assert.equal(backups.length, 1);
    assert.equal(readFileSync(path.join(path.dirname(h.resolverFile), backups[0]!), 'utf8'), original);
    const replaced = readFileSync(h.resolverFile, 'utf8');
    assert.match(replaced, new RegExp(`vault_id: ${emu.info.vaultId}`));
    assert.match(replaced, /ttl: 120/);
  });
});

/**
 * A new home with a copy of the emulator's OCI config as OCI_CONFIG_FILE, and the wizard started on it; `value(k)`
 * reads key `k` of the original config.
 */
function wizardOnConfigCopy() {
  const h = newHome();
  const original = readFileSync(emu.info.ociConfigFile, 'utf8');
  const configCopy = path.join(h.home, 'oci-config');
  writeFileSync(configCopy, original, { mode: 0o600 });
  const value = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(original)![1]!.trim();
  const p = startWizard({ ...h, env: { ...h.env, OCI_CONFIG_FILE: configCopy } });
  return { h, original, configCopy, value, p };
}

describe('setup wizard: profiles and passphrases', { skip: haveTmux ? false : 'tmux is not installed' }, () => {
  test('creates a profile from an existing API key (fingerprint computed, added only at the last step)', async () => {
    const { h, original, configCopy, value, p } = wizardOnConfigCopy();
    try {
      await p.waitFor(/❯ DEFAULT/);
      await p.step(['Down'], /❯ \+ Create a profile from an existing API key/);
      await p.step(['Enter'], new RegExp(`OCI config file to add the profile to: ${configCopy}`));
      await p.step(['Enter'], /Profile name: VAULTMCP/); // DEFAULT is taken
      await p.step(['Enter'], /Tenancy OCID:/);
      p.type('not-an-ocid');
      await p.step(['Enter'], /expected ocid1\.tenancy/);
      for (let i = 0; i < 11; i++) p.keys('BSpace');
      p.type(value('tenancy'));
      await p.step(['Enter'], /User OCID:/);
      p.type(value('user'));
      await p.step(['Enter'], /Path of the API private key/);
      for (let i = 0; i < 30; i++) p.keys('BSpace');
      p.type(value('key_file'));
      await p.step(['Enter'], /Home region/);
      p.type('us-ashburn-1');
      const confirm = await p.step(['Enter'], /Add it\? \[Y\/n\]/);
      assert.match(confirm, /\[VAULTMCP\]/);
      assert.match(confirm, new RegExp(`fingerprint=${value('fingerprint')}`));
      assert.equal(readFileSync(configCopy, 'utf8'), original, 'written before confirming');
      await p.step(['y'], /Authentication method/);
      await p.step(['Enter'], /Region of the vault: us-ashburn-1/);
      await p.step(['Enter'], /Which compartment holds the vault\?/); // the new (staged) profile signs the listing
      p.type('compartment');
      await p.waitFor(/filter: compartment\n❯ .*ocid1\.compartment/);
      await p.step(['Enter'], /Which vault stores the MCP secrets\?[\s\S]*❯ vaultmcp-emulator +ACTIVE/);
      await p.step(['Enter'], /Which master encryption key[\s\S]*❯ vaultmcp-emulator-key +ENABLED/);
      await p.step(['Enter'], /✔ api_key \(profile VAULTMCP\): signed requests accepted/);
      await p.step(['Enter'], /Write resolver\.yaml[\s\S]*Write it\?/);
      // the footer's promise: nothing written until the last step, the new profile included
      assert.equal(readFileSync(configCopy, 'utf8'), original, 'the OCI config was written before the last step');
      p.type('y');
      if (binary()) {
        await p.waitFor(/Docker plugin/);
        p.type('n');
      }
      await p.waitFor(/Setup complete/, 40_000);
      await p.step(['Enter'], /EXIT=0/);
    } finally {
      p.kill();
    }
    const after = readFileSync(configCopy, 'utf8');
    assert.ok(after.startsWith(original), 'the existing profile changed');
    assert.match(after, new RegExp(`\\[VAULTMCP\\]\\nuser=${value('user')}\\nfingerprint=${value('fingerprint')}\\nkey_file=${value('key_file')}`));
    assert.match(readFileSync(h.resolverFile, 'utf8'), /profile: VAULTMCP/);
  });

  test('a new profile and Ctrl-C before the last step: the OCI config is untouched', async () => {
    const { h, original, configCopy, value, p } = wizardOnConfigCopy();
    try {
      await p.waitFor(/❯ DEFAULT/);
      await p.step(['Down'], /❯ \+ Create a profile/);
      await p.step(['Enter'], /OCI config file to add the profile to/);
      await p.step(['Enter'], /Profile name: VAULTMCP/);
      await p.step(['Enter'], /Tenancy OCID:/);
      p.type(value('tenancy'));
      await p.step(['Enter'], /User OCID:/);
      p.type(value('user'));
      await p.step(['Enter'], /Path of the API private key/);
      for (let i = 0; i < 30; i++) p.keys('BSpace');
      p.type(value('key_file'));
      await p.step(['Enter'], /Home region/);
      p.type('us-ashburn-1');
      await p.step(['Enter'], /Add it\? \[Y\/n\]/);
      await p.step(['y'], /Authentication method/);
      await p.step(['Enter'], /Region of the vault: us-ashburn-1/);
      await p.step(['Enter'], /Which compartment holds the vault\?/);
      await p.step(['C-c'], /EXIT=130/);
    } finally {
      p.kill();
    }
    assert.equal(readFileSync(configCopy, 'utf8'), original);
    assert.ok(!existsSync(h.resolverFile));
  });

  test('a list that cannot load: timed out after N ms, r retries, o takes the OCID typed by hand', async () => {
    const h = newHome();
    const p = new Pane([...cliArgv(), 'setup', '--endpoint', emu.info.endpoint, '--timeout-ms', '1500'], h.env, binary() ? h.home : REPO_ROOT);
    try {
      await p.waitFor(/OCI config profile[\s\S]*❯ DEFAULT/);
      await p.step(['Enter'], /Authentication method/);
      await p.step(['Enter'], /Region of the vault/);
      await p.step(['Enter'], /Which compartment holds the vault\?/);
      await emu.admin.faults({ hang: true, path: 'listVaults' });
      p.type('compartment');
      await p.waitFor(/filter: compartment\n❯ .*ocid1\.compartment/);
      await p.step(['Enter'], /Loading vaults… \d+\.\d s/);
      await p.waitFor(/loading the vaults timed out after 1500 ms[\s\S]*r retry · o type the OCID · Esc back/);
      await emu.admin.clearFaults();
      await p.step(['r'], /Which vault stores the MCP secrets\?[\s\S]*vaultmcp-emulator/); // retry works once the vault answers
      await p.step(['Escape'], /Which compartment holds the vault\?/);
      await emu.admin.faults({ hang: true, path: 'listVaults' });
      p.type('compartment');
      await p.waitFor(/filter: compartment\n❯ .*ocid1\.compartment/);
      await p.step(['Enter'], /timed out after 1500 ms/);
      await p.step(['o'], /Vault OCID \(ocid1\.vault\.oc1\.…\):/);
      p.type(emu.info.vaultId);
      await emu.admin.clearFaults();
      // the typed vault's keys are listed (its management endpoint read with GetVault)
      await p.step(['Enter'], /Which master encryption key[\s\S]*❯ vaultmcp-emulator-key +ENABLED/);
      await p.step(['C-c'], /EXIT=130/);
    } finally {
      p.kill();
    }
  });

  test('an encrypted key: passphrase asked and checked, stored in the keychain when agreed', { skip: process.env.VAULTMCP_SECRET_SERVICE === '1' ? false : 'needs a Secret Service (npm test provides one)' }, async () => {
    const h = newHome();
    const { generateKeyPairSync } = await import('node:crypto');
    const { keyFingerprint } = await import('../../src/app/setup/index.js');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' }) as string;
    const keyFile = path.join(h.home, 'enc.pem');
    writeFileSync(keyFile, pem, { mode: 0o600 });
    const fp = keyFingerprint(pem, 'correct horse');
    const original = readFileSync(emu.info.ociConfigFile, 'utf8');
    const tenancy = /^tenancy=(.*)$/m.exec(original)![1]!.trim();
    const user = /^user=(.*)$/m.exec(original)![1]!.trim();
    await emu.admin.registerKey(`${tenancy}/${user}/${fp}`, publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const profileName = `ENC${process.pid}`;
    const config = path.join(h.home, 'oci-config');
    writeFileSync(config, `[${profileName}]\ntenancy=${tenancy}\nuser=${user}\nfingerprint=${fp}\nkey_file=${keyFile}\nregion=us-ashburn-1\n`, { mode: 0o600 });
    const env = { ...h.env, OCI_CONFIG_FILE: config };
    delete (env as Record<string, string | undefined>).VAULTMCP_CACHE_KEY;
    const p = startWizard({ ...h, env });
    try {
      await p.waitFor(new RegExp(`❯ ${profileName}`));
      await p.step(['Enter'], /Authentication method/);
      await p.step(['Enter'], /Region of the vault/);
      await p.step(['Enter'], /is encrypted[\s\S]*Passphrase:/);
      p.type('wrong');
      await p.step(['Enter'], /wrong passphrase/);
      for (let i = 0; i < 5; i++) p.keys('BSpace');
      p.type('correct horse');
      const masked = await p.waitFor(/Passphrase: \*{13}/);
      assert.doesNotMatch(masked, /correct horse/);
      await p.step(['Enter'], /Which compartment holds the vault\?/);
      p.type('compartment');
      await p.step(['Enter'], /Which vault/);
      await p.step(['Enter'], /Which master encryption key/);
      await p.step(['Enter'], /signed requests accepted/);
      await p.step(['Enter'], new RegExp(`Store the passphrase in the OS keychain .*oci-passphrase:${profileName}`));
      await p.step(['y'], /Write it\?/);
      p.type('y');
      if (binary()) {
        await p.waitFor(/Docker plugin/);
        p.type('n');
      }
      const done = await p.waitFor(/Setup complete/, 40_000);
      assert.match(done, new RegExp(`✔ stored the passphrase in the OS keychain \\(oci-passphrase:${profileName}\\)`));
      assert.match(done, /✔ Fingerprint in the profile matches the key/); // doctor found the passphrase in the keychain
      assert.match(done, /✔ Authentication/);
      await p.step(['Enter'], /EXIT=0/);
    } finally {
      p.kill();
      // leave no test item behind in the keychain
      const { sharedKeychain, passphraseAccount } = await import('../../src/core/keychain.js');
      await (await sharedKeychain()).delete(passphraseAccount(profileName)).catch(() => undefined);
    }
  });
});

describe('setup without a TTY (flags)', () => {
  test('missing flags: usage error naming them, exit 2', async () => {
    const h = newHome();
    const r = await runCli(['setup'], h);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^Error: .*--vault-id, --compartment-id, --yes/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.ok(!existsSync(h.resolverFile));
  });

  test('--yes writes; an existing file needs --force and is backed up', async () => {
    const h = newHome();
    const flags = ['setup', '--vault-id', emu.info.vaultId, '--compartment-id', emu.info.compartmentId, '--key-id', emu.info.keyId, '--endpoint', emu.info.endpoint, '--yes'];
    const first = await runCli(flags, h);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /signed requests accepted/);
    assert.match(readFileSync(h.resolverFile, 'utf8'), new RegExp(`key_id: ${emu.info.keyId}`));

    const again = await runCli(flags, h);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists[\s\S]*--force/);

    const forced = await runCli([...flags, '--force', '--json'], h);
    assert.equal(forced.code, 0, forced.stderr);
    const out = JSON.parse(forced.stdout);
    assert.equal(out.written, true);
    assert.ok(out.backup && existsSync(out.backup));
  });

  test('a mistyped OCID flag is named by its flag: exit 2, nothing written, no network call', async () => {
    const h = newHome();
    const r = await runCli(['setup', '--vault-id', 'vault-123', '--compartment-id', emu.info.compartmentId, '--endpoint', emu.info.endpoint, '--yes'], h);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, 'Error: --vault-id is not a valid vault OCID\n  Try: expected ocid1.vault.oc1.…, as shown in the OCI console\n');
    assert.ok(!existsSync(h.resolverFile));
  });

  test('--config names the file to write (help says so); --json is pretty-printed like other commands', async () => {
    const help = await runCli(['setup', '--help'], newHome());
    assert.match(help.stdout, /--config=FILE\s+resolver\.yaml to write/);
    const h = newHome();
    const target = path.join(h.home, 'project-resolver.yaml');
    const r = await runCli(['setup', '--vault-id', emu.info.vaultId, '--compartment-id', emu.info.compartmentId, '--endpoint', emu.info.endpoint, '--yes', '--json', '--config', target], h);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { file: string };
    assert.equal(out.file, target);
    assert.equal(r.stdout, JSON.stringify(out, null, 2) + '\n');
    assert.ok(existsSync(target) && !existsSync(h.resolverFile));
  });

  test('a vault that does not exist: exit 3, nothing written', async () => {
    const h = newHome();
    const r = await runCli(['setup', '--vault-id', 'ocid1.vault.oc1.us-ashburn-1.emunosuchvault', '--compartment-id', emu.info.compartmentId, '--endpoint', emu.info.endpoint, '--yes'], h);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^Error: .*not found/);
    assert.ok(!existsSync(h.resolverFile));
  });
});

