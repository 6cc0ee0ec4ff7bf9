import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { ExitCode, UsageError, VaultMcpError } from '../../../core/errors.js';
import { openSecretAdmin, scopeFlags } from './common.js';
import { shortTime } from '../../output.js';
import { confirm } from '../../../ui/prompts/confirm.js';

/**
 * `docker vaultmcp secret delete NAME [--version N]`: schedules deletion of a secret (all versions) or of one
 * DEPRECATED version, 1–30 days ahead (OCI never deletes at once; `secret restore` cancels until then).
 * Asks y/N on a terminal unless --yes; without a terminal, --yes is required (exit 2).
 */
export default class SecretDelete extends BaseCommand {
  static summary = 'Schedule deletion of a secret or of one DEPRECATED version (restorable until then)';
  static description =
    'OCI Vault deletes after a waiting period of 1 to 30 days (--days, default 30); until then ' +
    '`docker vaultmcp secret restore` cancels it. A scheduled secret stops serving values at once. Only ' +
    'DEPRECATED versions can be deleted: the CURRENT and PREVIOUS versions are in use or kept for rollback.';
  static examples = [
    '<%= config.bin %> secret delete old-token',
    '<%= config.bin %> secret delete github-token --version 1 --days 7 --yes',
  ];
  static args = { secret: Args.string({ description: 'secret name or OCID', required: true }) };
  static flags = {
    version: Flags.integer({ description: 'delete only this version (must be DEPRECATED)', min: 1, helpValue: 'N' }),
    days: Flags.integer({ description: 'days until the deletion takes effect (1-30)', default: 30, min: 1, max: 30, helpValue: 'N' }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
    ...scopeFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SecretDelete);
    const ctx = this.ctx;
    if (!flags.yes && !this.factory.canPrompt()) {
      throw new UsageError('refusing to delete without confirmation: stdin is not a terminal', 'pass --yes to confirm non-interactively');
    }
    const { admin, settings, module } = await openSecretAdmin(ctx, flags, {}, args.secret);
    const { purgeCachedSecret } = module;
    admin.deletionTime(flags.days); // validates --days before anything else
    const quiet = { quiet: flags.json };
    const { secret } = await this.out.during(`finding '${args.secret}'`, () => admin.locate(args.secret), quiet);
    const what = flags.version !== undefined ? `version ${flags.version} of secret '${secret.name}'` : `secret '${secret.name}' (all versions)`;
    if (flags.version !== undefined) await this.out.during('checking the version', () => admin.checkVersionDeletable(secret, flags.version!), quiet);
    else if (secret.state === 'PENDING_DELETION') {
      throw new UsageError(
        `secret '${secret.name}' is already scheduled for deletion${secret.timeOfDeletion ? ` on ${secret.timeOfDeletion}` : ''}`,
        `\`docker vaultmcp secret restore ${secret.name}\` cancels it`,
      );
    }

    if (!flags.yes && !(await confirm(ctx, `Schedule deletion of ${what} in ${flags.days} day${flags.days === 1 ? '' : 's'}?`, 'nothing was deleted'))) {
      throw new VaultMcpError('not confirmed; nothing was deleted', { exitCode: ExitCode.FAILURE });
    }
    if (flags.version !== undefined) {
      const v = await this.out.during('scheduling the deletion', () => admin.scheduleVersionDeletion(secret, flags.version!, flags.days), quiet);
      await purgeCachedSecret(settings, ctx, { secretId: secret.id, name: secret.name });
      if (flags.json) this.out.json({ name: secret.name, id: secret.id, versionNumber: v.versionNumber, stages: v.stages, timeOfDeletion: v.timeOfDeletion });
      else ctx.stdout.write(`Scheduled deletion of ${what} on ${shortTime(v.timeOfDeletion) ?? 'the chosen date'}\n  undo: docker vaultmcp secret restore ${secret.name} --version ${v.versionNumber}\n`);
      return;
    }
    const after = await this.out.during('scheduling the deletion', () => admin.scheduleDeletion(secret, flags.days), quiet);
    await purgeCachedSecret(settings, ctx, { secretId: secret.id, name: secret.name });
    if (flags.json) this.out.json({ name: after.name, id: after.id, state: after.state, timeOfDeletion: after.timeOfDeletion });
    else ctx.stdout.write(`Scheduled deletion of ${what} on ${shortTime(after.timeOfDeletion) ?? 'the chosen date'}; it no longer serves values\n  undo: docker vaultmcp secret restore ${secret.name}\n`);
  }
}
