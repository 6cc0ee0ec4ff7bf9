import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { UsageError, VaultError } from '../../../core/errors.js';
import { STAGES } from '../../../core/vault/refs.js';
import { openSecretAdmin, scopeFlags } from './common.js';
import { shortTime } from '../../output.js';

/**
 * `docker vaultmcp secret get NAME|REF`: a secret version's metadata with the value masked; `--reveal` writes the
 * exact bytes to stdout (nothing added: no newline), for pipes. `--json --reveal` adds the value as base64 and,
 * when it is valid UTF-8, as text.
 */
export default class SecretGet extends BaseCommand {
  static summary = 'Show a secret version (value masked; --reveal prints the exact bytes)';
  static description =
    'Shows the name, OCID, version number, stages, creation time and a masked value of the CURRENT version, or of ' +
    'the one chosen with --version, --stage or a ?version=/?stage= qualifier. --reveal writes the exact bytes to ' +
    'stdout with no newline added (for pipes and files); --reveal --json gives it as base64 (plus utf8 when it ' +
    'is text). See docs/secrets.md.';
  static examples = [
    '<%= config.bin %> secret get github-token',
    '<%= config.bin %> secret get github-token --version 2 --reveal > token.txt',
    '<%= config.bin %> secret get "oci-vault://ocid1.vault.oc1..x/github-token?stage=PREVIOUS" --json',
  ];
  static args = {
    secret: Args.string({ description: 'secret name, OCID or oci-vault:// reference (may carry ?version= or ?stage=)', required: true }),
  };
  static flags = {
    version: Flags.integer({ description: 'version number to read', min: 1, exclusive: ['stage'], helpValue: 'N' }),
    // case-insensitive (`--stage previous`), like the ?stage= qualifier; oclif's `options` would compare exactly
    stage: Flags.string({
      description: `stage to read: ${STAGES.join('|')} (any case)`,
      helpValue: 'STAGE',
      exclusive: ['version'],
      parse: async (input) => {
        const stage = input.toUpperCase();
        // oclif wraps this as a parse error (exit 2), rendered "--stage: 'x' is not one of …"
        if (!(STAGES as readonly string[]).includes(stage)) throw Object.assign(new Error(`Expected one of ${STAGES.join(', ')} but received: ${input}`), { oclif: { exit: 2 } });
        return stage;
      },
    }),
    reveal: Flags.boolean({ description: 'print the exact value bytes on stdout (no newline added)', default: false }),
    ...scopeFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SecretGet);
    const { admin } = await openSecretAdmin(this.ctx, flags, {}, args.secret);
    const { secret, selector: fromRef } = await this.out.during(`finding '${args.secret}'`, () => admin.locate(args.secret), { quiet: flags.json });
    if ((flags.version !== undefined || flags.stage) && (fromRef.versionNumber !== undefined || fromRef.stage)) {
      throw new UsageError('give the version either in the reference (?version=/?stage=) or with --version/--stage, not both');
    }
    const selector =
      flags.version !== undefined ? { versionNumber: flags.version } : flags.stage ? { stage: flags.stage as (typeof STAGES)[number] } : fromRef;
    if (secret.state === 'PENDING_DELETION') {
      throw new UsageError(
        `secret '${secret.name}' is scheduled for deletion${secret.timeOfDeletion ? ` on ${secret.timeOfDeletion}` : ''}; its values cannot be read`,
        `\`docker vaultmcp secret restore ${secret.name}\` cancels the deletion`,
      );
    }
    const read = await this.out.during(`reading '${secret.name}'`, () => admin.readValue(secret.id, selector, `secret '${secret.name}'`), { quiet: flags.json }).catch((err: unknown) => {
      // the secret exists (located above): a 404 here means that version or stage does not
      if ((selector.versionNumber !== undefined || selector.stage) && (err as { kind?: string }).kind === 'not_found') {
        const what = selector.versionNumber !== undefined ? `version ${selector.versionNumber}` : `no version at stage ${selector.stage}`;
        throw new VaultError(`secret '${secret.name}' has ${selector.versionNumber !== undefined ? `no ${what}` : what}`, {
          kind: 'not_found',
          status: 404,
          hint: `list its versions and stages with \`docker vaultmcp secret versions ${secret.name}\``,
        });
      }
      throw err;
    });
    try {
      if (flags.reveal && !flags.json) {
        await new Promise<void>((resolve, reject) => this.ctx.stdout.write(read.bytes, (err) => (err ? reject(err) : resolve())));
        return;
      }
      const { maskSecret } = await import('../../../core/mask.js');
      const meta = {
        name: secret.name,
        id: secret.id,
        versionNumber: read.versionNumber,
        stages: read.stages,
        created: read.created,
        bytes: read.bytes.length,
      };
      if (flags.json) {
        let utf8: string | undefined;
        if (flags.reveal) {
          try {
            utf8 = new TextDecoder('utf-8', { fatal: true }).decode(read.bytes);
          } catch {
            utf8 = undefined;
          }
        }
        this.out.json({
          ...meta,
          value: flags.reveal ? { base64: read.bytes.toString('base64'), ...(utf8 !== undefined ? { utf8 } : {}) } : maskSecret(read.bytes),
        });
        return;
      }
      this.out.table([
        ['name', secret.name],
        ['OCID', secret.id],
        ['version', read.versionNumber],
        ['stages', read.stages.join(', ')],
        ['created', shortTime(read.created)],
        ['value', `${maskSecret(read.bytes)} (${read.bytes.length} bytes; --reveal prints it)`],
    ]);
    } finally {
      read.bytes.fill(0);
    }
  }
}
