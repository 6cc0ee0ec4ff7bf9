/**
 * Test helper for `gateway run` and `serve`: a temp world with
 * - DOCKER_CONFIG/cli-plugins holding `docker-vaultmcp` (our CLI from source through tsx, or the built binary with
 *   VAULTMCP_TEST_BINARY=1) and the stand-in
 *   `docker-mcp` (test/fixtures/docker-mcp/docker-mcp.mjs), so flows go through the real docker CLI;
 * - HOME, XDG_CONFIG_HOME and XDG_RUNTIME_DIR (where the FIFO directories go) of its own;
 * - a resolver.yaml pointing at the given emulator (cache off, no retries).
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emulatorResolverYaml, type TestEmulator } from './emulator.js';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const STANDIN = path.join(REPO, 'test/fixtures/docker-mcp/docker-mcp.mjs');
export const FAKE_SERVER = path.join(REPO, 'test/fixtures/servers/fake-server.mjs');

export interface GatewayWorld {
  root: string;
  home: string;
  runtimeDir: string;
  dockerConfig: string;
  resolverConfig: string;
  /** environment for `docker …` (PATH, HOME, DOCKER_CONFIG, XDG_*) plus `extra` */
  env(extra?: Record<string, string>): Record<string, string>;
  /** writes a file under root; returns its path */
  file(name: string, content: string): string;
  /** our FIFO directories currently in the runtime dir */
  fifoDirs(): string[];
  /** removes or installs the stand-in docker-mcp */
  setStandin(installed: boolean): void;
  cleanup(): void;
}

/** Builds the world; `emu` may be undefined for tests that never reach the vault. */
export function makeGatewayWorld(emu?: TestEmulator): GatewayWorld {
  const root = mkdtempSync(path.join(os.tmpdir(), 'vaultmcp-gw-'));
  const home = path.join(root, 'home');
  const runtimeDir = path.join(root, 'run');
  const dockerConfig = path.join(root, 'docker');
  const plugins = path.join(dockerConfig, 'cli-plugins');
  for (const d of [home, runtimeDir, plugins]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const tsx = import.meta.resolve('tsx');
  const script = (target: string) => `#!/bin/sh\nexec "${process.execPath}" ${target} "$@"\n`;
  const write = (p: string, s: string, mode = 0o755) => {
    writeFileSync(p, s);
    chmodSync(p, mode);
  };
  // VAULTMCP_TEST_BINARY=1: the built single binary (dist/docker-vaultmcp) instead of the source through tsx
  if (process.env.VAULTMCP_TEST_BINARY === '1') write(path.join(plugins, 'docker-vaultmcp'), `#!/bin/sh\nexec "${path.join(REPO, 'dist/docker-vaultmcp')}" "$@"\n`);
  else write(path.join(plugins, 'docker-vaultmcp'), script(`--import "${tsx}" "${path.join(REPO, 'src/main.ts')}"`));
  const standinPath = path.join(plugins, 'docker-mcp');
  const setStandin = (installed: boolean) => {
    if (installed) write(standinPath, script(`"${STANDIN}"`));
    else rmSync(standinPath, { force: true });
  };
  setStandin(true);
  const file = (name: string, content: string) => {
    const p = path.join(root, name);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
    return p;
  };
  const resolverConfig = file(
    'resolver.yaml',
    emu
      ? emulatorResolverYaml(emu.info, 'cache: { enabled: false }', 'resilience: { retries: 0, timeout_ms: 20000 }')
      : 'cache:\n  enabled: false\n',
  );
  return {
    root,
    home,
    runtimeDir,
    dockerConfig,
    resolverConfig,
    env: (extra = {}) => ({
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: home,
      DOCKER_CONFIG: dockerConfig,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_RUNTIME_DIR: runtimeDir,
      XDG_CACHE_HOME: path.join(home, '.cache'),
      TMPDIR: os.tmpdir(),
      LANG: 'C',
      NO_COLOR: '1',
      ...extra,
    }),
    file,
    fifoDirs: () => readdirSync(runtimeDir).filter((n) => n.startsWith('vaultmcp-gateway-')),
    setStandin,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
