/**
 * Shell completion for real (issue 10 §10): through the docker CLI's `__complete` protocol (docker runs the plugin
 * and relays its answer), through docker's own cobra bash completion script, and for the binary called directly with
 * the bash, zsh and fish scripts of `docker-vaultmcp completion`. Services, environments, flags, and secret names
 * from the cache's metadata (a cached value must never appear).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { binaryPath, dockerAvailable, makeDockerConfig, runBinary, runDocker, runHidden, type DockerConfig } from '../helpers/binary.js';
import { loadSettings } from '../../src/core/config/settings/index.js';
import { openSecretCacheDetailed } from '../../src/core/cache/secret-cache.js';
import { parseSecretRef } from '../../src/core/vault/refs.js';

const CI = !!process.env.CI;
const have = (shell: string) => spawnSync(shell, ['-c', 'true'], { stdio: 'ignore' }).status === 0;
const VALUE = `cached-value-${randomBytes(8).toString('hex')}`;

let home: string;
let env: Record<string, string>;
let bin: string; // a directory with docker-vaultmcp on PATH, as an installed binary would be

before(async () => {
  home = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-completion-'));
  const cfg = path.join(home, 'config', 'oci-vault-mcp');
  mkdirSync(path.join(cfg, 'services'), { recursive: true });
  writeFileSync(path.join(cfg, 'resolver.yaml'), `vault: { vault_id: ocid1.vault.oc1.us-ashburn-1.abc, endpoint: http://127.0.0.1:9 }\ncache: { dir: ${path.join(home, 'cache')} }\nenvironments: [qa]\n`);
  writeFileSync(path.join(cfg, 'services', 'mine.json'), JSON.stringify({ description: 'my server', secrets: { K: { secret_name: 'k', environment: { staging: 'k-stg' } } }, target_command: ['true'] }));
  env = { HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_CACHE_HOME: path.join(home, 'xdg-cache'), VAULTMCP_CACHE_KEY: randomBytes(32).toString('base64') };
  const ctx = { env, cwd: home, homeDir: home, now: Date.now } as never;
  const { settings } = await loadSettings(ctx);
  const { cache } = await openSecretCacheDetailed(settings, ctx);
  for (const name of ['cached-api-key', 'cached-db-password']) {
    await cache!.put(parseSecretRef(name), { value: VALUE, secretId: `ocid1.vaultsecret.oc1..${name}`, versionNumber: 1, name });
  }
  bin = path.join(home, 'bin');
  mkdirSync(bin);
  symlinkSync(binaryPath(), path.join(bin, 'docker-vaultmcp'));
});
after(() => home && rmSync(home, { recursive: true, force: true }));

const lines = (out: string) => out.split('\n').filter(Boolean);

describe('through the docker CLI', { skip: !dockerAvailable() && !CI && 'no docker CLI on PATH' }, () => {
  let dc: DockerConfig;
  before(() => (dc = makeDockerConfig()));
  after(() => dc?.cleanup());
  const docker = (args: string[]) => runDocker(args, { env: { ...dc.env, ...env } });

  it('docker __complete vaultmcp …: services, environments, flags, cached secret names', async () => {
    const cases: Array<[string[], string[]]> = [
      [['run', 'mi'], ['mine\tmy server', ':4']],
      [['run', 'mine', '--env', ''], ['default', 'staging', 'qa', ':4']],
      [['secret', 'get', ''], ['cached-api-key', 'cached-db-password', ':4']],
    ];
    for (const [words, expected] of cases) {
      const r = await docker(['__complete', 'vaultmcp', ...words]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes(VALUE), 'a cached value in a completion');
      assert.deepEqual(lines(r.stdout), expected, `docker __complete vaultmcp ${words.join(' ')}`);
    }
    const flags = await docker(['__complete', 'vaultmcp', 'run', 'mine', '--te']);
    assert.match(flags.stdout, /^--test\t.*\n:4\n$/);
  });

  const bashCompletion = '/usr/share/bash-completion/bash_completion';
  it("docker's own bash completion (cobra) asks the plugin", { skip: !existsSync(bashCompletion) && !CI && 'no bash-completion package' }, async () => {
    const script = [
      `source ${bashCompletion}`, // docker's cobra script needs _init_completion / _get_comp_words_by_ref
      'source <(docker completion bash)',
      'compopt() { :; }', // only valid inside a real completion; the candidates are what matters here
      'COMP_WORDS=(docker vaultmcp run mine --env "")',
      'COMP_CWORD=5; COMP_LINE="docker vaultmcp run mine --env "; COMP_POINT=${#COMP_LINE}',
      '__start_docker docker "" mine',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = await runHidden('bash', ['-c', script], { env: { ...dc.env, ...env, PATH: process.env.PATH } });
    assert.deepEqual(lines(r.stdout).sort(), ['default', 'qa', 'staging'], r.stderr);
  });
});

describe('docker-vaultmcp called directly', () => {
  it('__complete answers without docker', async () => {
    const r = await runBinary(['__complete', 'secret', 'rotate', 'x', '--verify', 'mi'], { env });
    assert.deepEqual(lines(r.stdout), ['mine\tmy server', ':4']);
  });

  const withScript = async (shell: 'bash' | 'zsh' | 'fish', body: string) => {
    const script = (await runBinary(['completion', shell], { env })).stdout;
    const file = path.join(home, `completion.${shell}`);
    writeFileSync(file, script);
    return runHidden(shell, ['-c', body.replace('SCRIPT', file)], { env: { ...env, PATH: `${bin}:${process.env.PATH}` } });
  };

  it('bash', { skip: !have('bash') && 'no bash' }, async () => {
    const r = await withScript('bash', 'source SCRIPT; COMP_WORDS=(docker-vaultmcp run mine -e ""); COMP_CWORD=4; _docker_vaultmcp; printf "%s\\n" "${COMPREPLY[@]}"; COMP_WORDS=(docker-vaultmcp secret get cached-a); COMP_CWORD=3; _docker_vaultmcp; printf "%s\\n" "${COMPREPLY[@]}"');
    assert.deepEqual(lines(r.stdout), ['default', 'staging', 'qa', 'cached-api-key'], r.stderr);
  });

  it('fish', { skip: !have('fish') && !CI && 'no fish' }, async () => {
    const r = await withScript('fish', 'source SCRIPT; complete -C "docker-vaultmcp run mine --env "; complete -C "docker-vaultmcp run mine --ver"');
    // fish sorts candidates itself
    assert.deepEqual(lines(r.stdout), ['default', 'qa', 'staging', '--verbose\treport details on stderr'], r.stderr);
  });

  it('zsh (the script, with compsys stubbed: what it hands to _describe)', { skip: !have('zsh') && !CI && 'no zsh' }, async () => {
    const r = await withScript('zsh', [
      'compdef() { :; }; source SCRIPT',
      '_describe() { print -l -- "${(@P)2}"; }; _files() { print FILES; }',
      'words=(docker-vaultmcp run mine --env ""); CURRENT=5; _docker_vaultmcp',
      'words=(docker-vaultmcp run mine --cwd ""); CURRENT=5; _docker_vaultmcp',
      'words=(docker-vaultmcp run mine --tes); CURRENT=4; _docker_vaultmcp',
    ].join('\n'));
    const out = lines(r.stdout);
    assert.deepEqual(out.slice(0, 4), ['default', 'staging', 'qa', 'FILES'], r.stderr);
    assert.match(out[4]!, /^--test:resolve/);
  });
});
