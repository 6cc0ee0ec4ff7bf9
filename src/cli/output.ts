/** What every data command does alike: load settings for `--config`, and write one JSON document. */
import type { AppContext } from '../core/context.js';
import type { Settings } from '../core/config/settings/index.js';

/** Settings for `--config` (plus the usual sources); settings warnings go to stderr. */
export async function loadCommandSettings(ctx: AppContext, configFile: string | undefined): Promise<Settings> {
  const { loadSettings } = await import('../core/config/settings/index.js');
  const loaded = await loadSettings(ctx, { configFile });
  for (const w of loaded.warnings) ctx.stderr.write(`vaultmcp: ${w}\n`);
  return loaded.settings;
}

/** Writes one JSON document (2-space indented) and a newline on stdout. */
export function writeJson(ctx: AppContext, value: unknown): void {
  ctx.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
