import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { openSecretAdmin, scopeFlags } from './common.js';

/** `docker vaultmcp secret restore NAME [--version N]`: cancels a scheduled deletion of a secret or a version. */
export default class SecretRestore extends BaseCommand {
  static summary = 'Cancel the scheduled deletion of a secret or of one version';
  static description =
    'Cancels a deletion scheduled with `docker vaultmcp secret delete`, as long as its date has not passed. The ' +
    'secret serves values again at once; with --version, only that version\'s deletion is cancelled.';
  static examples = ['<%= config.bin %> secret restore old-token', '<%= config.bin %> secret restore github-token --version 1'];
  static args = { secret: Args.string({ description: 'secret name or OCID', required: true }) };
  static flags = {
    version: Flags.integer({ description: 'restore only this version', min: 1, helpValue: 'N' }),
    ...scopeFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SecretRestore);
    const { admin } = await openSecretAdmin(this.ctx, flags, {}, args.secret);
    const { secret } = await this.out.during(`finding '${args.secret}'`, () => admin.locate(args.secret), { quiet: flags.json });
    if (flags.version !== undefined) {
      const v = await this.out.during('cancelling the deletion', () => admin.cancelVersionDeletion(secret, flags.version!), { quiet: flags.json });
      if (flags.json) this.out.json({ name: secret.name, id: secret.id, versionNumber: v.versionNumber, stages: v.stages });
      else this.ctx.stdout.write(`Restored version ${v.versionNumber} of secret '${secret.name}' (${v.stages.join(', ')}): its deletion is cancelled\n`);
      return;
    }
    const after = await this.out.during('cancelling the deletion', () => admin.cancelDeletion(secret), { quiet: flags.json });
    if (flags.json) this.out.json({ name: after.name, id: after.id, state: after.state });
    else this.ctx.stdout.write(`Restored secret '${after.name}' (${after.state}): its deletion is cancelled\n`);
  }
}
