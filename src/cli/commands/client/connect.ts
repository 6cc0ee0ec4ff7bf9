import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { CLIENT_LIST, clientFileFlags, renderChange } from './common.js';

/**
 * `docker vaultmcp client connect CLIENT SERVICE`: adds or updates the MCP client's entry that starts SERVICE
 * through us (src/app/clients/connect.ts). Exit 0 (also when nothing changed) · 2 unknown client/service, an entry
 * of that name that is not ours (without --force), a config file that does not parse (file:line:column).
 */
export default class ClientConnect extends BaseCommand {
  static summary = "Add or update the MCP client's entry that starts SERVICE through docker vaultmcp";
  static description =
    `CLIENT is one of ${CLIENT_LIST}. The entry runs the plugin binary by its absolute path ` +
    '(`…/cli-plugins/docker-vaultmcp run SERVICE`), so it needs neither docker nor anything on the client\'s PATH; ' +
    '--via-docker writes `docker vaultmcp run SERVICE` instead. Other entries, unknown keys, comments and ' +
    'formatting are kept; the previous file is backed up first (~/.config/oci-vault-mcp/backups) and the change ' +
    'is shown as a diff (credentials masked). Running it again changes nothing.';
  static examples = [
    '<%= config.bin %> client connect claude-desktop github --env production',
    '<%= config.bin %> client connect vscode github --scope project --dry-run',
    '<%= config.bin %> client connect codex ./my-server.json --name my-server',
    '<%= config.bin %> client connect cursor filesystem -- ~/projects',
  ];
  static usage = 'client connect CLIENT SERVICE [--env E] [--name NAME] [--scope user|project] [--dry-run] [--via-docker] [-- SERVER_ARGS…]';
  static strict = false;
  static args = {
    client: Args.string({ description: `the MCP client (${CLIENT_LIST})`, required: true }),
    service: Args.string({ description: 'service name (`service list`) or path to a service file', required: true }),
  };
  static flags = {
    env: Flags.string({ char: 'e', description: 'environment the entry runs with (run --env)', helpValue: 'ENV' }),
    name: Flags.string({ description: "the entry's name in the client (default: the service name)", helpValue: 'NAME' }),
    'via-docker': Flags.boolean({ description: 'write `docker vaultmcp run …` instead of the binary path', default: false }),
    force: Flags.boolean({ description: 'replace an entry of that name that does not start through docker vaultmcp', default: false }),
    ...clientFileFlags,
  };

  async run(): Promise<void> {
    const { args, argv, flags } = await this.parse(ClientConnect);
    // arguments for the server after `--` (filesystem's directories, cloudflare's account id), written after `run SERVICE --`
    const dashDash = this.argv.indexOf('--');
    const serverArgs = dashDash >= 0 ? this.argv.slice(dashDash + 1) : [];
    if ((argv as string[]).length - 2 > serverArgs.length) {
      const { UsageError } = await import('../../../core/errors.js');
      throw new UsageError(`unexpected argument '${(argv as string[])[2]}'`, 'arguments for the server go after --');
    }
    const { connectClient } = await import('../../../app/clients/connect.js');
    const change = await connectClient(this.ctx, {
      client: args.client,
      service: args.service,
      env: flags.env,
      name: flags.name,
      scope: flags.scope,
      configFile: flags['config-file'],
      settingsFile: flags.config,
      dryRun: flags['dry-run'],
      viaDocker: flags['via-docker'],
      force: flags.force,
      selfPaths: [process.execPath],
      serverArgs,
    });
    renderChange(this.out, change, flags.json, 'connect');
  }
}
