/**
 * Test fixture for the resolver and cache tests: an isolated HOME/XDG tree, settings loaded from an emulator's
 * resolver.yaml with test-sized resilience limits, a private cache dir and a random VAULTMCP_CACHE_KEY (so tests
 * do not depend on a keychain unless they want one), and helpers to build SecretSpecs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { AppContext } from '../../src/core/context.js';
import { formatSecretRef, parseSecretRef } from '../../src/core/vault/refs.js';
import { createResolver, type Resolver, type ResolverOverrides } from '../../src/core/resolve/resolver.js';
import type { SecretSpec } from '../../src/core/config/services/index.js';
import { loadSettings, type Settings } from '../../src/core/config/settings/index.js';
import type { EmulatorInfo } from '../../src/emulator/index.js';

export interface ResolverFixture {
  ctx: AppContext;
  settings: Settings;
  root: string;
  cacheDir: string;
  /** captured ctx.stderr text */
  stderr(): string;
  resolver(overrides?: ResolverOverrides & { settings?: Settings }): Promise<Resolver>;
  close(): Promise<void>;
}

/**
 * Test-sized limits: fast backoff, a breaker that does not trip unless a test lowers it; a 2 s timeout so a loaded
 * CI machine (tests run two files at a time) does not turn a slow answer into a retry. Fault tests lower it.
 */
export const TEST_RESILIENCE: Settings['resilience'] = { timeout_ms: 2000, retries: 2, breaker_threshold: 1000, breaker_reset_ms: 60_000, concurrency: 8, deadline_ms: 30_000 };
export const TEST_BACKOFF = { backoffBaseMs: 20, backoffMaxMs: 100 };

/**
 * @param info emulator to point at (undefined: settings with no vault, for offline/unit use)
 * @param opts.env extra env; opts.cacheKey false = no VAULTMCP_CACHE_KEY (keychain decides)
 */
export async function resolverFixture(
  info: EmulatorInfo | undefined,
  opts: { env?: NodeJS.ProcessEnv; cacheKey?: string | false; resilience?: Partial<Settings['resilience']>; cache?: Partial<Settings['cache']> } = {},
): Promise<ResolverFixture> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-resolver-'));
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (d) => (err += d));
  const env: NodeJS.ProcessEnv = {
    HOME: root,
    XDG_CONFIG_HOME: path.join(root, 'config'),
    XDG_CACHE_HOME: path.join(root, 'cache-home'),
    VAULTMCP_SYSTEM_CONFIG_DIR: path.join(root, 'etc'),
    PATH: process.env.PATH,
    ...(opts.cacheKey === false ? {} : { VAULTMCP_CACHE_KEY: opts.cacheKey ?? randomBytes(32).toString('base64') }),
    ...opts.env,
  };
  const ctx: AppContext = {
    env,
    cwd: root,
    homeDir: root,
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr,
    now: () => Date.now(),
  };
  const loaded = info ? await loadSettings(ctx, { configFile: info.resolverConfig }) : await loadSettings(ctx);
  const cacheDir = path.join(root, 'cache');
  const settings: Settings = {
    ...loaded.settings,
    cache: { ...loaded.settings.cache, dir: cacheDir, ...opts.cache },
    resilience: { ...TEST_RESILIENCE, ...opts.resilience },
  };
  return {
    ctx,
    settings,
    root,
    cacheDir,
    stderr: () => err,
    resolver: (o = {}) => createResolver({ settings: o.settings ?? settings, ctx, resilience: { ...TEST_BACKOFF, ...o.resilience }, ...o }),
    close: () => rm(root, { recursive: true, force: true }),
  };
}

/** A required SecretSpec for `text` (any reference form). */
export function spec(envVar: string, text: string, required = true): SecretSpec {
  const ref = parseSecretRef(text);
  return { envVar, ref, reference: formatSecretRef(ref), required };
}

/** Output line of test/helpers/resolve-child.ts. */
export interface ChildResult {
  ok: boolean;
  ms: number;
  secrets: Array<{ envVar: string; source: string; versionNumber?: number; sha256: string }>;
  failures: Array<{ envVar: string; kind: string }>;
  warnings: string[];
  ociModules: string[];
  /** the child's stderr and exit code */
  stderr: string;
  code: number | null;
  /** wall time of the process, ms */
  wallMs: number;
}

let childScript: Promise<string> | undefined;

/**
 * Bundles test/helpers/resolve-child.ts with esbuild (packages stay external) so 30 children start in ~0.1 s each
 * instead of paying tsx's transpile cost; returns the .mjs path (inside node_modules/.cache so packages resolve).
 */
export function buildResolveChild(): Promise<string> {
  return (childScript ??= (async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdirSync } = await import('node:fs');
    const root = path.resolve(import.meta.dirname, '../..');
    const outDir = path.join(root, 'node_modules/.cache/vaultmcp-test');
    mkdirSync(outDir, { recursive: true });
    const out = path.join(outDir, `resolve-child-${process.pid}.mjs`);
    const r = spawnSync(path.join(root, 'node_modules/.bin/esbuild'), [
      path.join(root, 'test/helpers/resolve-child.ts'), '--bundle', '--platform=node', '--format=esm', '--packages=external', `--outfile=${out}`, '--log-level=warning',
    ], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`esbuild failed: ${r.stderr}`);
    const { rmSync } = await import('node:fs');
    process.once('exit', () => rmSync(out, { force: true }));
    return out;
  })());
}

/**
 * Runs the bundled child once.
 * @param pairs `ENV=reference` strings
 */
export async function runResolveChild(configFile: string, pairs: string[], env: NodeJS.ProcessEnv): Promise<ChildResult> {
  const script = await buildResolveChild();
  const { spawn } = await import('node:child_process');
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, configFile, ...pairs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve({ ...(JSON.parse(line) as Omit<ChildResult, 'stderr' | 'code' | 'wallMs'>), stderr: err, code, wallMs: performance.now() - t0 });
      } catch {
        reject(new Error(`child printed no result (exit ${code}): ${err.slice(0, 2000)}`));
      }
    });
  });
}
