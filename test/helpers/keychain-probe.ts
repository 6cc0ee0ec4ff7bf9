/**
 * Child process for keychain tests: prints one JSON line with the keychain's status() and, with argv[2] "cache",
 * where the cache key came from (openSecretCacheDetailed), or the notice when there is none. Never prints keys.
 *   node --import tsx test/helpers/keychain-probe.ts [cache]
 */
import { openSecretCacheDetailed } from '../../src/core/cache/secret-cache.js';
import { openKeychain } from '../../src/core/keychain.js';

const keychain = await openKeychain();
const status = await keychain.status();
let cache: { keySource?: string; notice?: string } | undefined;
if (process.argv[2] === 'cache') {
  const settings = { cache: { enabled: true, dir: process.env.PROBE_CACHE_DIR ?? '/nonexistent', ttl: 60, max_stale: 60 }, vault: {} } as never;
  const opened = await openSecretCacheDetailed(settings, { env: process.env, now: Date.now });
  cache = { keySource: opened.cache?.keySource, notice: opened.notice };
}
process.stdout.write(JSON.stringify({ status, cache }) + '\n');
