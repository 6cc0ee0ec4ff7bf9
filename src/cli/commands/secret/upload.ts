import { Args, Flags, type Interfaces } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { UsageError } from '../../../core/errors.js';
import { checkOcidFlag, openSecretAdmin, refuseValueInArgv, scopeFlags } from './common.js';
import { KEY_OCID } from '../../../core/vault/refs.js';

/**
 * `docker vaultmcp secret upload NAME`: stores a value in OCI Vault. The value comes from stdin (piped), a file
 * or a masked prompt typed twice, never from argv. A new name creates the secret (vault, compartment, master
 * key from settings or flags); an existing one gets a new CURRENT version (the old one stays as PREVIOUS).
 * stdout: name, OCID, version, masked value (or JSON). Exit 2 usage/config, 3 vault/auth, 130 prompt aborted.
 */
export default class SecretUpload extends BaseCommand {
  static summary = 'Store a secret value in OCI Vault (new secret, or a new CURRENT version)';
  static description =
    'The value is read from stdin when it is piped, from --from-file, or from a masked prompt (typed twice) in a ' +
    'terminal; never from the command line. Bytes are stored exactly: a trailing newline (e.g. from `echo`) is ' +
    'kept unless --trim removes one. Binary files and multi-line values (PEM keys, JSON) work. Limit: 25 KB. ' +
    'If a secret with that name exists in the vault, the value becomes its new CURRENT version and the old ' +
    'version stays available as PREVIOUS.';
  static examples = [
    { description: 'Store a token from a variable (printf adds no newline)', command: '$ printf %s "$TOKEN" | <%= config.bin %> secret upload github-token' },
    { description: 'Store a file, with a description and a tag', command: '<%= config.bin %> secret upload tls-key --from-file key.pem --description "TLS key" --tag team=platform' },
    { description: 'Type the value at a masked prompt (asked twice)', command: '<%= config.bin %> secret upload github-token' },
  ];
  // strict off so that a value typed after NAME reaches us and is refused without being echoed
  static strict = false;
  static usage = 'secret upload NAME [--from-file FILE] [--trim] [--description TEXT] [--tag KEY=VALUE]... [--vault-id OCID] [--compartment-id OCID] [--key-id OCID] [--json]';
  static args = {
    name: Args.string({ description: 'secret name: letters, digits, ".", "_", "-" (max 255)', required: true }),
  };
  static flags = {
    'from-file': Flags.string({ description: 'read the value from this file (exact bytes; "-" = stdin)', helpValue: 'FILE' }),
    trim: Flags.boolean({ description: 'strip one trailing newline (\\n or \\r\\n) from stdin or file input', default: false }),
    description: Flags.string({ description: 'description stored with the secret', helpValue: 'TEXT' }),
    tag: Flags.string({ description: 'freeform tag KEY=VALUE (repeatable; merged into existing tags)', multiple: true, helpValue: 'KEY=VALUE' }),
    ...scopeFlags,
    'key-id': Flags.string({ description: 'master encryption key OCID for new secrets (default: settings vault.key_id)', helpValue: 'OCID' }),
  };

  async run(): Promise<void> {
    const { args, argv, flags } = await this.parse(SecretUpload);
    refuseValueInArgv((argv as string[]).slice(1), 'secret upload');
    const { validateSecretName, willPrompt } = await import('../../../app/secrets/secret-input.js');
    validateSecretName(args.name);
    const tags = parseTags(flags.tag ?? []);
    // keys typed before the prompt appears must never echo: the terminal goes silent before any vault call
    const held = willPrompt(this.ctx, { fromFile: flags['from-file'] }) ? await this.holdKeys() : { release() {} };
    try {
      await this.upload(args.name, flags, tags);
    } finally {
      held.release();
    }
  }

  private async upload(name: string, flags: Interfaces.InferredFlags<typeof SecretUpload.flags & typeof BaseCommand.baseFlags>, tags: Record<string, string>): Promise<void> {
    const args = { name };
    const { readSecretValue, willPrompt, trailingNewlineNote } = await import('../../../app/secrets/secret-input.js');
    const { admin, settings, module } = await openSecretAdmin(this.ctx, flags, { keyId: checkOcidFlag('key-id', flags['key-id'], KEY_OCID) });
    const { purgeCachedSecret } = module;
    // A piped or file value is read and checked (size, emptiness) before any vault call; a prompt comes after the
    // settings and the secret's state are checked, so nobody types a value that cannot be stored (meanwhile the
    // terminal is silent: keys typed early are held for the prompt, never echoed).
    const read = () => readSecretValue(this.ctx, { label: `secret '${args.name}'`, fromFile: flags['from-file'], trim: flags.trim, prompt: this.secretPrompt() });
    let value = willPrompt(this.ctx, { fromFile: flags['from-file'] }) ? undefined : await read();
    const existing = await this.out.during(`checking '${args.name}' in the vault`, () => admin.prepareUpload(args.name), { quiet: flags.json });
    value ??= await read();
    const note = trailingNewlineNote(value, flags.trim);
    if (note && !flags.json) this.out.warn(note);
    const result = await this.out.during(`storing '${args.name}'`, () => admin.upload(args.name, value.bytes, { description: flags.description, tags, existing }), { quiet: flags.json });
    if (!result.created) await purgeCachedSecret(settings, this.ctx, { secretId: result.secret.id, name: result.secret.name });
    const { maskSecret } = await import('../../../core/mask.js');
    const masked = maskSecret(value.bytes);
    if (flags.json) {
      this.out.json({
        action: result.created ? 'created' : 'updated',
        name: result.secret.name,
        id: result.secret.id,
        versionNumber: result.versionNumber,
        ...(result.previousVersionNumber !== undefined ? { previousVersionNumber: result.previousVersionNumber } : {}),
        bytes: value.bytes.length,
        value: masked,
      });
    } else {
      const head = result.created
        ? `Created secret '${result.secret.name}' (version ${result.versionNumber} is CURRENT)`
        : `Added version ${result.versionNumber} to secret '${result.secret.name}' (now CURRENT` +
          (result.previousVersionNumber !== undefined ? `; version ${result.previousVersionNumber} is PREVIOUS)` : ')');
      this.ctx.stdout.write(`${head}\n  OCID     ${result.secret.id}\n  version  ${result.versionNumber}\n  value    ${masked} (${value.bytes.length} bytes)\n`);
    }
    value.bytes.fill(0);
  }
}

/** `--tag k=v` list → record. @throws UsageError for a malformed tag */
function parseTags(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    const key = eq > 0 ? item.slice(0, eq) : '';
    if (!key || !/^[A-Za-z0-9._-]{1,100}$/.test(key)) {
      throw new UsageError('--tag must be KEY=VALUE with a key of letters, digits, ".", "_" or "-"', 'e.g. --tag team=platform');
    }
    out[key] = item.slice(eq + 1);
  }
  return out;
}
