import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { openSecretAdmin, refuseValueInArgv, scopeFlags } from './common.js';

/**
 * `docker vaultmcp secret rotate NAME`: a new CURRENT version of an existing secret (the old CURRENT becomes
 * PREVIOUS). Value from stdin / --from-file / prompt, or --generate N random characters. With --verify SERVICE
 * the service's MCP server is started with the new value and must answer initialize + tools/list; otherwise the
 * previous version is made CURRENT again and the command exits 1.
 */
export default class SecretRotate extends BaseCommand {
  static summary = 'Add a new CURRENT version of a secret, optionally verified against an MCP server (rolls back on failure)';
  static description =
    'The value is read like `secret upload` does (stdin, --from-file, masked prompt) or generated with --generate N ' +
    '(N random characters of A-Z a-z 0-9 - _, from node:crypto). The previous CURRENT version becomes PREVIOUS. ' +
    'With --verify SERVICE, the service\'s MCP server is started with the new value (other secrets resolved as ' +
    '`run` does) and must answer initialize and tools/list within --verify-timeout seconds; if not, the previous ' +
    'version is made CURRENT again and the command exits 1.';
  static examples = [
    { description: 'Rotate, check that the github MCP server starts with the new token, roll back if not', command: '$ printf %s "$NEW_TOKEN" | <%= config.bin %> secret rotate github-token --verify github' },
    { description: 'Replace a password with 40 random characters', command: '<%= config.bin %> secret rotate db-password --generate 40' },
  ];
  // strict off so that a value typed after NAME reaches us and is refused without being echoed
  static strict = false;
  static usage = 'secret rotate NAME [--from-file FILE | --generate N] [--trim] [--verify SERVICE [--env ENV] [--verify-timeout S]] [--json]';
  static args = {
    name: Args.string({ description: 'secret name or OCID', required: true }),
  };
  static flags = {
    'from-file': Flags.string({ description: 'read the new value from this file (exact bytes; "-" = stdin)', helpValue: 'FILE', exclusive: ['generate'] }),
    generate: Flags.integer({ description: 'generate a random value of N characters (URL-safe alphabet)', helpValue: 'N', exclusive: ['from-file'] }),
    trim: Flags.boolean({ description: 'strip one trailing newline from stdin or file input', default: false }),
    verify: Flags.string({ description: 'start this service\'s MCP server with the new value; roll back if it fails', helpValue: 'SERVICE' }),
    env: Flags.string({ char: 'e', description: 'environment of the service for --verify (default: OCI_VAULT_ENVIRONMENT)', helpValue: 'ENV', dependsOn: ['verify'] }),
    'verify-timeout': Flags.integer({ description: 'seconds the server gets to answer initialize + tools/list', default: 20, min: 1, max: 600, helpValue: 'S' }),
    ...scopeFlags,
  };

  async run(): Promise<void> {
    const { args, argv, flags } = await this.parse(SecretRotate);
    refuseValueInArgv((argv as string[]).slice(1), 'secret rotate');
    const { readSecretValue, validateGenerateLength, willPrompt, trailingNewlineNote } = await import('../../../app/secrets/secret-input.js');
    if (flags.generate !== undefined) validateGenerateLength(flags.generate);
    const ctx = this.ctx;
    let selection: Awaited<ReturnType<typeof selectService>> | undefined;
    if (flags.verify) selection = await selectService(ctx, flags.verify, flags.env, this.factory.settings(flags.config));

    const { admin, settings, module: secretAdmin } = await openSecretAdmin(ctx, flags, {}, args.name);
    // as in upload: piped/file values are checked before any vault call, prompts after the secret is found, with the
    // terminal silent until then (keys typed early are held for the prompt, never echoed)
    const source = { fromFile: flags['from-file'], generate: flags.generate, trim: flags.trim };
    let value = willPrompt(ctx, source) ? undefined : await readSecretValue(ctx, { label: `secret '${args.name}'`, ...source, prompt: this.secretPrompt() });
    const held = value ? { release() {} } : await this.holdKeys();
    let secret: Awaited<ReturnType<typeof admin.locate>>['secret'];
    try {
      ({ secret } = await this.out.during(`finding '${args.name}'`, () => admin.locate(args.name), { quiet: flags.json }));
      admin.assertWritable(secret);
      value ??= await readSecretValue(ctx, { label: `secret '${secret.name}'`, ...source, prompt: this.secretPrompt() });
    } finally {
      held.release();
    }
    const note = trailingNewlineNote(value, flags.trim);
    if (note && !flags.json) this.out.warn(note);
    const say = (line: string) => {
      if (!flags.json) ctx.stderr.write(`vaultmcp: ${line}\n`);
    };

    let result: Awaited<ReturnType<typeof admin.addVersion>> & { verify?: import('../../../app/secrets/index.js').VerifyReport };
    if (selection) {
      const { service, specs, overrides } = selection;
      // Ctrl-C or SIGTERM during verification must not leave an unverified value CURRENT: abort, then roll back.
      const interrupt = new AbortController();
      const onSignal = () => interrupt.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      result = await secretAdmin.rotateVerified({
        signal: interrupt.signal,
        admin,
        ctx,
        secret,
        bytes: value.bytes,
        service,
        specs,
        overrides,
        defaultVaultId: admin.scope.vaultId,
        timeoutMs: flags['verify-timeout'] * 1000,
        resolveOthers: (others) => secretAdmin.resolveSpecs(settings, ctx, others, say),
        onEvent: (e) => {
          if (e.type === 'written') say(`wrote version ${e.versionNumber} of '${secret.name}' (CURRENT); verifying…`);
          else if (e.type === 'verifying') say(`starting ${e.service} (${e.command}) with the new value`);
          else if (e.type === 'verified') say(`${e.report.serverName ?? 'the server'} answered initialize and tools/list (${e.report.tools} tools, ${e.report.ms} ms)`);
          else if (e.type === 'rolling-back') say(`verification failed; making version ${e.versionNumber} CURRENT again`);
        },
      }).catch(async (err: unknown) => {
        // after a rollback the cache may hold the short-lived new value
        await secretAdmin.purgeCachedSecret(settings, ctx, { secretId: secret.id, name: secret.name });
        throw err;
      }).finally(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      });
    } else {
      const bytes = value.bytes;
      result = await this.out.during(`storing a new version of '${secret.name}'`, () => admin.addVersion(secret, bytes), { quiet: flags.json });
    }
    await secretAdmin.purgeCachedSecret(settings, ctx, { secretId: secret.id, name: secret.name });

    const { maskSecret } = await import('../../../core/mask.js');
    const masked = maskSecret(value.bytes);
    if (flags.json) {
      this.out.json({
        name: secret.name,
        id: secret.id,
        versionNumber: result.versionNumber,
        ...(result.previousVersionNumber !== undefined ? { previousVersionNumber: result.previousVersionNumber } : {}),
        bytes: value.bytes.length,
        value: masked,
        ...(value.source === 'generated' ? { generated: true } : {}),
        ...(result.verify ? { verified: { service: selection!.service.name, tools: result.verify.tools, ms: result.verify.ms, serverName: result.verify.serverName } } : {}),
      });
    } else {
      ctx.stdout.write(
        `Rotated secret '${secret.name}': version ${result.versionNumber} is CURRENT` +
          (result.previousVersionNumber !== undefined ? `, version ${result.previousVersionNumber} is PREVIOUS` : '') +
          (result.verify ? ` (verified with ${selection!.service.name})` : '') +
          `\n  OCID     ${secret.id}\n  value    ${masked} (${value.bytes.length} bytes${value.source === 'generated' ? ', generated' : ''})\n`,
      );
      if (value.source === 'generated') ctx.stdout.write(`  read it with: docker vaultmcp secret get ${secret.name} --reveal\n`);
    }
    value.bytes.fill(0);
  }
}

/** The service for --verify and the secrets of its environment (before any vault call). */
async function selectService(ctx: BaseCommand['ctx'], name: string, env: string | undefined, loadingSettings: Promise<import('../../../core/config/settings/index.js').Settings>) {
  const { loadService, selectEnvironment } = await import('../../../core/config/services/index.js');
  const [settings, service] = await Promise.all([loadingSettings, loadService(name, ctx)]);
  const selection = selectEnvironment(service, env ?? (ctx.env.OCI_VAULT_ENVIRONMENT || undefined), { declared: settings.environments });
  for (const w of selection.warnings) ctx.stderr.write(`vaultmcp: ${w}\n`);
  return { service, specs: selection.specs, overrides: selection.overrides };
}
