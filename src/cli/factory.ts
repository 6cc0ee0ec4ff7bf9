import os from 'node:os';
import type { AppContext } from '../core/context.js';
import type { Keychain } from '../core/keychain.js';
import type { Settings } from '../core/config/settings/index.js';
import { createOutput, type Output } from './output.js';

/**
 * What a command gets from the outside world (the `gh` factory pattern, STYLE.md): the context (environment,
 * directories, streams, clock), the one rule for whether we may prompt, the output module, and lazy providers of
 * the expensive pieces (settings, keychain), each built once per invocation and only when asked. The vault is
 * reached through the use-cases (createSecretAdmin, the resolver), which build their VaultAccess from settings.
 * Tests build a factory over their own context.
 */
export interface CommandFactory {
  readonly ctx: AppContext;
  readonly out: Output;
  /**
   * The one rule for interactive input: stdin and stderr are terminals (we read keys from stdin and ask on stderr).
   * Masked value prompts, y/N questions and the wizard all ask it.
   */
  canPrompt(): boolean;
  /** Whether a full-screen Ink UI may be drawn: we may prompt, and stdout (where Ink draws) is a terminal too. */
  canDrawScreen(): boolean;
  /** Settings for `--config` plus the usual sources, loaded once; their warnings go to stderr. */
  settings(configFile?: string): Promise<Settings>;
  /** The process's OS keychain (the addon is loaded on first use). */
  keychain(): Promise<Keychain>;
}

/**
 * Builds the factory over `ctx`.
 * @param ctx the invocation's context (processContext() for a real run)
 */
export function createFactory(ctx: AppContext): CommandFactory {
  const out = createOutput(ctx);
  const settingsByFile = new Map<string, Promise<Settings>>();
  return {
    ctx,
    out,
    canPrompt: () => !!ctx.stdin.isTTY && !!ctx.stderr.isTTY,
    canDrawScreen: () => !!ctx.stdin.isTTY && !!ctx.stderr.isTTY && !!ctx.stdout.isTTY,
    settings(configFile) {
      const key = configFile ?? '';
      let loading = settingsByFile.get(key);
      if (!loading) {
        loading = import('../core/config/settings/index.js').then(async ({ loadSettings }) => {
          const loaded = await loadSettings(ctx, { configFile });
          for (const w of loaded.warnings) out.warn(w);
          return loaded.settings;
        });
        settingsByFile.set(key, loading);
      }
      return loading;
    },
    async keychain() {
      const { sharedKeychain } = await import('../core/keychain.js');
      return sharedKeychain();
    },
  };
}

/**
 * The context of the running process with stdin/stdout/stderr read from `process` on first use: in the Bun
 * binary the first of them builds Node's stream machinery (~12 ms of CPU), which `run`'s fast path builds only once
 * the MCP server is spawned (its set-up then overlaps the server's start).
 * @param onUse called the first time a stream is touched (the fast path then knows to flush it on exit)
 */
export function lazyProcessContext(onUse: (name: 'stdin' | 'stdout' | 'stderr') => void = () => {}): AppContext {
  const ctx = { env: process.env, cwd: process.cwd(), homeDir: process.env.HOME || os.homedir(), now: () => Date.now() };
  for (const name of ['stdin', 'stdout', 'stderr'] as const) {
    const get = () => {
      onUse(name);
      return process[name];
    };
    Object.defineProperty(ctx, name, { get, enumerable: true, configurable: true });
  }
  return ctx as AppContext;
}
