import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { openSecretAdmin, scopeFlags } from './common.js';
import { shortTime } from '../../output.js';

/**
 * `docker vaultmcp secret versions NAME`: every version of a secret (ListSecretVersions, all pages) with its
 * stages, creation, expiry and scheduled deletion. Never reads values.
 */
export default class SecretVersions extends BaseCommand {
  static summary = 'List the versions of a secret with their stages (no values)';
  static description =
    'Lists every version of the secret: number, stages (CURRENT, PREVIOUS, DEPRECATED, …), creation, expiry and ' +
    'scheduled deletion times. Values are never read. SECRET is a name in vault.vault_id or a secret OCID.';
  static examples = ['<%= config.bin %> secret versions github-token', '<%= config.bin %> secret versions github-token --json'];
  static args = { secret: Args.string({ description: 'secret name or OCID', required: true }) };
  static flags = { ...scopeFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SecretVersions);
    const { admin } = await openSecretAdmin(this.ctx, flags, {}, args.secret);
    const { secret, versions } = await this.out.during(
      `reading the versions of '${args.secret}'`,
      async () => {
        const { secret } = await admin.locate(args.secret);
        return { secret, versions: await admin.versions(secret.id) };
      },
      { quiet: flags.json },
    );
    if (flags.json) {
      this.out.json({ name: secret.name, id: secret.id, state: secret.state, versions });
      return;
    }
    this.ctx.stdout.write(`${secret.name}  ${secret.id}  ${secret.state}\n`);
    this.out.table([
      ['VERSION', 'STAGES', 'CREATED', 'EXPIRES', 'DELETION'],
      ...versions.map((v) => [v.versionNumber, v.stages.join(','), shortTime(v.created), shortTime(v.expires), shortTime(v.timeOfDeletion)]),
    ]);
  }
}
