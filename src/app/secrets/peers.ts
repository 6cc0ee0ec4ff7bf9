import type { AppContext } from '../../core/context.js';
import type { SecretSpec } from '../../core/config/services/index.js';
import type { Settings } from '../../core/config/settings/index.js';

/**
 * Bridges to modules other parts of docker vaultmcp own, loaded lazily (dynamic import) so that a broken or
 * unusable one never breaks secret management: the encrypted cache (src/core/cache.ts) and the resolver
 * (src/core/resolver.ts).
 */

/**
 * Drops the local cache entries of a secret after its value changed (rotate, new version) or it was deleted,
 * so `run` does not keep serving the old value until the TTL ends.
 * @returns entries removed, or undefined when the cache is disabled or unavailable (never throws)
 */
export async function purgeCachedSecret(
  settings: Settings,
  ctx: AppContext,
  key: { secretId?: string; name?: string },
): Promise<number | undefined> {
  if (!settings.cache.enabled) return undefined;
  try {
    const { openSecretCache } = await import('../../core/cache/secret-cache.js');
    const cache = await openSecretCache(settings, ctx);
    if (!cache) return undefined;
    return await cache.purgeSecret(key);
  } catch {
    return undefined;
  }
}

/**
 * Resolves secrets for a verification launch through the resolver (cache and resilience policy included), all
 * or nothing for required ones, as `run` does; optional secrets that fail are left out.
 * @param warn receives the resolver's warnings (stale copies served, optional secrets left out); never values
 * @returns env var → value
 * @throws ResolutionError (exit 3) naming each failed required secret; ConfigError (exit 2)
 */
export async function resolveSpecs(
  settings: Settings,
  ctx: AppContext,
  specs: SecretSpec[],
  warn: (line: string) => void = () => {},
): Promise<Record<string, string>> {
  if (specs.length === 0) return {};
  const { createResolver, requireAll } = await import('../../core/resolve/resolver.js');
  const resolver = await createResolver({ settings, ctx });
  try {
    const report = await resolver.resolve(specs);
    for (const w of report.warnings) warn(w);
    requireAll(report);
    return Object.fromEntries(report.secrets.map((s) => [s.envVar, s.value]));
  } finally {
    await resolver.close();
  }
}
