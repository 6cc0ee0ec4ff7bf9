import { Flags } from '@oclif/core';
import { formatTable } from '../../output.js';
import { BaseCommand } from '../../base-command.js';

/**
 * `docker vaultmcp cache status [--json] [--names]`: the encrypted cache's entries (version, age, size, whether
 * they decrypt with the current key) and the shared circuit-breaker state. Never prints values; reference names
 * only with --names, which decrypts entries (needs the cache key). Works without the key from the entries' clear
 * headers (ages, versions, sizes). Exit 0.
 */
export default class CacheStatus extends BaseCommand {
  static summary = 'Show the encrypted secret cache: entries, ages, versions, sizes (never values)';
  static description =
    'Entries are files named by an HMAC of their reference, so names are only shown with --names (which decrypts ' +
    'them with the cache key from the OS keychain or VAULTMCP_CACHE_KEY). "fresh" entries are used without asking ' +
    'the vault (cache.ttl); "stale" ones only when the vault is unreachable (cache.max_stale).';
  static examples = ['<%= config.bin %> cache status', '<%= config.bin %> cache status --names --json'];
  static flags = {
    names: Flags.boolean({ description: 'decrypt entries to show which reference each one caches', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CacheStatus);
    const { openSecretCacheDetailed, inspectCacheDir } = await import('../../../core/cache/secret-cache.js');
    const { readBreakerFile } = await import('../../../core/vault/breaker-state.js');
    const { formatAge } = await import('../../../core/resolve/resolver.js');
    const path = await import('node:path');
    const settings = await this.factory.settings(flags.config);
    const { dir, enabled, ttl, max_stale: maxStale } = settings.cache;

    // the key comes from the OS keychain (D-Bus), which can be slow to answer
    const opened = enabled ? await this.out.during('opening the cache (OS keychain)', () => openSecretCacheDetailed(settings, this.ctx), { quiet: flags.json }) : {};
    const rows = opened.cache ? await opened.cache.entries({ names: flags.names }) : await inspectCacheDir(dir, this.ctx.now);
    const breakers = (await readBreakerFile(path.join(dir, 'breaker.json'))).breakers;
    const now = this.ctx.now();
    const stateOf = (ageMs: number) => (ageMs <= ttl * 1000 ? 'fresh' : ageMs <= maxStale * 1000 ? 'stale' : 'expired');
    const breakerRows = Object.entries(breakers).map(([endpoint, b]) => {
      const open = b.state === 'open' && b.openedAt !== undefined && now - b.openedAt < settings.resilience.breaker_reset_ms;
      return { endpoint, state: open ? 'open' : b.state === 'open' ? 'half-open (next call probes)' : 'closed', failures: b.failures, ...(b.openedAt ? { openedAt: new Date(b.openedAt).toISOString() } : {}) };
    });

    if (flags.json) {
      const out = {
        dir,
        enabled,
        key: opened.cache ? opened.cache.keySource : null,
        ...(opened.notice ? { notice: opened.notice } : {}),
        ttlSeconds: ttl,
        maxStaleSeconds: maxStale,
        entries: rows.map((r) => ({
          file: r.file,
          ...(r.reference !== undefined ? { reference: r.reference } : {}),
          versionNumber: r.versionNumber,
          ageMs: r.ageMs,
          state: stateOf(r.ageMs),
          bytes: r.bytes,
          valid: r.valid ?? null,
        })),
        breakers: breakerRows,
      };
      this.out.json(out);
    } else {
      const lines = [
        `cache: ${dir} (${enabled ? (opened.cache ? `key from ${opened.cache.keySource === 'env' ? 'VAULTMCP_CACHE_KEY' : 'the OS keychain'}` : 'key unavailable') : 'disabled by cache.enabled: false'}; fresh ${ttl} s, served stale up to ${maxStale} s)`,
      ];
      if (rows.length === 0) lines.push('no entries');
      else {
        const names = flags.names && !!opened.cache;
        const stdout = this.ctx.stdout as NodeJS.WriteStream;
        const table = formatTable(
          [
            ['ENTRY', ...(names ? ['REFERENCE'] : []), 'VERSION', 'AGE', 'STATE', 'BYTES', 'VALID'],
            ...rows.map((r) => [
              r.file.slice(0, 12),
              ...(names ? [r.reference ?? '?'] : []),
              r.versionNumber,
              formatAge(r.ageMs),
              stateOf(r.ageMs),
              r.bytes,
              r.valid === undefined ? '?' : r.valid ? 'yes' : 'no',
            ]),
          ],
          stdout.isTTY ? stdout.columns : undefined,
        );
        lines.push(table.trimEnd());
        lines.push(`${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}, ${rows.reduce((a, r) => a + r.bytes, 0)} bytes`);
      }
      for (const b of breakerRows) lines.push(`circuit breaker ${b.endpoint}: ${b.state}${b.failures ? `, ${b.failures} recent failure${b.failures === 1 ? '' : 's'}` : ''}`);
      this.ctx.stdout.write(lines.join('\n') + '\n');
    }
    if (opened.notice) this.ctx.stderr.write(`vaultmcp: ${opened.notice}\n`);
    if (flags.names && !opened.cache && enabled) this.ctx.stderr.write('vaultmcp: --names needs the cache key; names are not shown\n');
  }
}
