import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { UsageError } from '../../../core/errors.js';

/**
 * `docker vaultmcp service add NAME [--secret VAR=REF]… [--env-override K=V]… [--description D] [--force] -- COMMAND
 * [ARGS…]`: writes a user service definition (src/app/services/add.ts). Exit 0 · 2 bad input or an existing
 * definition without --force. No vault call: references are checked for form, not existence (`run NAME --test` does).
 */
export default class ServiceAdd extends BaseCommand {
  static summary = 'Write a service definition for any MCP server command (no hand-written file)';
  static description =
    'Writes ~/.config/oci-vault-mcp/services/NAME.json with the command after --, its secrets (--secret VAR=REF: a ' +
    'secret name, OCID, oci-vault:// URL or vault:NAME) and plain variables (--env-override K=V). Then ' +
    '`docker vaultmcp run NAME --test` checks the references and `docker vaultmcp client connect CLIENT NAME` adds it to a client.';
  static examples = [
    '<%= config.bin %> service add notion --secret NOTION_TOKEN=notion-token -- npx -y @notionhq/notion-mcp-server',
    '<%= config.bin %> service add my-api --secret API_KEY=vault:my-api-key --env-override LOG_LEVEL=info -- node /opt/my-api/server.js',
  ];
  static usage = 'service add NAME [--secret VAR=REF]… [--env-override K=V]… [--description D] [--force] -- COMMAND [ARGS…]';
  static strict = false;
  static args = { name: Args.string({ description: 'the service name', required: true }) };
  static flags = {
    secret: Flags.string({ description: 'VAR=REF: the server gets the secret REF in VAR (repeatable)', multiple: true, helpValue: 'VAR=REF' }),
    'env-override': Flags.string({ description: 'K=V: a plain (non-secret) variable for the server (repeatable)', multiple: true, helpValue: 'K=V' }),
    description: Flags.string({ description: 'one line shown by `service list`', helpValue: 'TEXT' }),
    force: Flags.boolean({ description: 'replace an existing user definition of that name', default: false }),
  };

  async run(): Promise<void> {
    const { args, argv, flags } = await this.parse(ServiceAdd);
    const dashDash = this.argv.indexOf('--');
    const command = dashDash >= 0 ? this.argv.slice(dashDash + 1) : [];
    if ((argv as string[]).length - 1 > command.length) {
      const word = (argv as string[])[1]!;
      throw new UsageError(`unexpected argument '${word}'`, `the server command goes after --, e.g. docker vaultmcp service add ${args.name} -- ${word}`);
    }
    const { addService } = await import('../../../app/services/add.js');
    const added = await addService(this.ctx, {
      name: args.name,
      command,
      secrets: flags.secret,
      envOverrides: flags['env-override'],
      description: flags.description,
      force: flags.force,
    });
    if (flags.json) {
      this.out.json(added);
      return;
    }
    this.out.result(`${added.replaced ? 'Replaced' : 'Wrote'} ${added.file}`);
    this.out.info(`check it: docker vaultmcp run ${added.name} --test; add it to a client: docker vaultmcp client connect CLIENT ${added.name}`);
  }
}
