import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';

/**
 * `docker vaultmcp gateway map import [--catalog FILE]… [--servers a,b] [--dry-run]`: fills the gateway map from
 * the secrets the gateway's catalogs declare, matching vault secrets by name with metadata calls only, and names
 * the declared secrets left without a mapping (src/app/gateway/map.ts).
 */
export default class GatewayMapImport extends BaseCommand {
  static summary = 'Fill the gateway map from the catalogs\' declared secrets; name those without a vault secret';
  static description =
    'Reads every `registry.<server>.secrets[].name` of the docker mcp catalogs (default: all *.yaml in ' +
    '~/.docker/mcp/catalogs, or --catalog FILEs), and for each one the map does not have yet looks for a vault ' +
    'secret named like it (`github.personal_access_token`, then `github-personal-access-token`) with metadata ' +
    'calls only. Found ones are added; the rest are listed with the command that maps them.';
  static usage = 'gateway map import [--catalog FILE]… [--servers A,B] [--dry-run] [--map FILE] [--json]';
  static flags = {
    catalog: Flags.string({ description: 'catalog file to read (repeatable; default: all in ~/.docker/mcp/catalogs)', multiple: true, helpValue: 'FILE' }),
    servers: Flags.string({ description: 'only these catalog servers (comma-separated)', helpValue: 'A,B' }),
    'dry-run': Flags.boolean({ description: 'report without changing the map', default: false }),
    map: Flags.string({ description: 'gateway map file (default: ~/.config/oci-vault-mcp/gateway.yaml)', helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(GatewayMapImport);
    const { declaredSecrets, importMappings } = await import('../../../../app/gateway/map.js');
    const servers = flags.servers?.split(',').map((s) => s.trim()).filter(Boolean);
    const declared = await declaredSecrets(this.ctx, { catalogs: flags.catalog, servers });
    if (declared.length === 0) {
      this.out.warn('the catalogs declare no secrets' + (servers ? ` for ${servers.join(', ')}` : '') + ' (is the catalog under ~/.docker/mcp/catalogs?)');
    }
    const settings = await this.factory.settings(flags.config);
    const [{ createVaultAccess }, { SecretLocator }] = await Promise.all([import('../../../../core/vault/access.js'), import('../../../../core/vault/locator.js')]);
    const locator = new SecretLocator(createVaultAccess({ settings, env: this.ctx }), { vaultId: settings.vault.vault_id, compartmentId: settings.vault.compartment_id });
    const lookup = async (name: string) => {
      if (!settings.vault.vault_id) {
        const { missingVaultId } = await import('../../../../core/vault/locator.js');
        throw missingVaultId(name);
      }
      const found = await locator.findInVault(settings.vault.vault_id, name);
      return !!found && found.state !== 'PENDING_DELETION';
    };
    const r = await importMappings(this.ctx, declared, lookup, { file: flags.map, dryRun: flags['dry-run'] });
    if (flags.json) {
      this.out.json(r);
    } else {
      const verb = flags['dry-run'] ? 'would map' : 'mapped';
      for (const a of r.added) this.ctx.stdout.write(`${verb}  ${a.name} → ${a.reference}  (${a.servers.join(', ')})\n`);
      for (const e of r.existing) this.ctx.stdout.write(`kept    ${e} (already mapped)\n`);
      for (const u of r.unmapped) {
        this.ctx.stdout.write(`MISSING ${u.name} (${u.servers.join(', ')}): no vault secret named ${u.tried.join(' or ')}\n`);
      }
      if (r.unmapped.length) this.out.info(`map the missing ones with \`docker vaultmcp gateway map add NAME REFERENCE\` (${r.file})`);
    }
    if (r.unmapped.length) process.exitCode = 1;
  }
}
