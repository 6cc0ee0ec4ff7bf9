import { BaseCommand } from '../../base-command.js';
import { openSecretAdmin, scopeFlags } from './common.js';
import { shortTime } from '../../output.js';

/**
 * `docker vaultmcp secret list`: every secret of the configured vault in the configured compartment (ListSecrets,
 * all pages), with state and current version. Never reads values.
 */
export default class SecretList extends BaseCommand {
  static summary = 'List the secrets of the vault (no values)';
  static description =
    'Lists every secret of vault.vault_id (or --vault-id) in vault.compartment_id (or --compartment-id): name, ' +
    'state, current version number, creation time and OCID. Values are never read.';
  static examples = ['<%= config.bin %> secret list', '<%= config.bin %> secret list --json | jq -r ".[].name"'];
  static flags = { ...scopeFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(SecretList);
    const { admin } = await openSecretAdmin(this.ctx, flags);
    const secrets = await this.out.during('listing the secrets of the vault', () => admin.list(), { quiet: flags.json });
    if (flags.json) {
      this.out.json(secrets);
      return;
    }
    if (secrets.length === 0) {
      this.ctx.stderr.write('vaultmcp: no secrets in this vault yet; add one with `docker vaultmcp secret upload NAME`\n');
      return;
    }
    this.out.table([
      ['NAME', 'STATE', 'CURRENT', 'CREATED', 'OCID'],
      ...secrets.map((s) => [s.name, s.state, s.currentVersionNumber, shortTime(s.created), s.id]),
    ]);
  }
}
