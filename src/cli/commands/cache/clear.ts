import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';

/**
 * `docker vaultmcp cache clear [SERVICE]`: removes every cache entry (and the shared circuit-breaker state and the
 * launch snapshots), or
 * only the entries of one service's secrets in all its environments. Clearing one service needs the cache key
 * (entry names are HMACs of references); clearing everything does not. Exit 0; 2 for an unknown service or a
 * missing key when one is needed.
 */
export default class CacheClear extends BaseCommand {
  static summary = 'Remove cached secrets (all, or those of one service)';
  static description =
    'Without SERVICE every entry is removed, plus the shared circuit-breaker state (breaker.json) and the launch ' +
    'snapshots (the checked settings and service definitions `run` keeps to start faster). With SERVICE, ' +
    'the entries of that service\'s secrets in every environment it declares are removed. The next launch reads ' +
    'them from the vault again.';
  static examples = ['<%= config.bin %> cache clear', '<%= config.bin %> cache clear github'];
  static args = {
    service: Args.string({ description: 'service name or path of a service file', required: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(CacheClear);
    const { openSecretCacheDetailed, clearCacheDir } = await import('../../../core/cache/secret-cache.js');
    const settings = await this.factory.settings(flags.config);
    const dir = settings.cache.dir;
    let removed: number;
    let scope: string;
    let snapshots = 0;
    if (!args.service) {
      removed = await clearCacheDir(dir);
      const { rm } = await import('node:fs/promises');
      const path = await import('node:path');
      await rm(path.join(dir, 'breaker.json'), { force: true });
      // the launch snapshots (settings + service definitions of recent launches) go too: core/config/launch-snapshot.ts
      const { clearLaunchSnapshots } = await import('../../../core/config/launch-snapshot.js');
      snapshots = await clearLaunchSnapshots(this.ctx);
      scope = 'all';
    } else {
      const { loadService, knownEnvironments, selectEnvironment, DEFAULT_ENVIRONMENT } = await import('../../../core/config/services/index.js');
      const service = await loadService(args.service, this.ctx);
      const refs = new Map<string, import('../../../core/vault/refs.js').SecretRef>();
      for (const env of [DEFAULT_ENVIRONMENT, ...knownEnvironments(service)]) {
        for (const spec of selectEnvironment(service, env).specs) refs.set(spec.reference, spec.ref);
      }
      const opened = await this.out.during('opening the cache (OS keychain)', () => openSecretCacheDetailed({ ...settings, cache: { ...settings.cache, enabled: true } }, this.ctx), { quiet: flags.json });
      if (!opened.cache) {
        const { UsageError } = await import('../../../core/errors.js');
        // the notice reads "disk cache off for this run: WHY. To enable it: FIX": the reason goes in the error, the fix in the hint
        const [why, fix] = (opened.notice ?? 'the cache key is unavailable').replace(/^disk cache off for this run: /, '').split(/\.\s+To enable it:\s*/);
        throw new UsageError(
          `cannot find the cache entries of '${service.name}' without the cache key: ${why}`,
          `${fix ? `${fix}; or run ` : 'run '}\`docker vaultmcp cache clear\` without a service, which removes every entry and needs no key`,
        );
      }
      removed = await opened.cache.clear({ refs: [...refs.values()] });
      scope = service.name;
    }
    if (flags.json) this.out.json({ dir, scope, removed, ...(scope === 'all' ? { launchSnapshots: snapshots } : {}) });
    else {
      const also = snapshots > 0 ? `, and ${snapshots} launch snapshot${snapshots === 1 ? '' : 's'}` : '';
      this.ctx.stdout.write(`removed ${removed} cache entr${removed === 1 ? 'y' : 'ies'}${scope === 'all' ? '' : ` of ${scope}`} from ${dir}${also}\n`);
    }
  }
}
