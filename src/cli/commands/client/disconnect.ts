import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { CLIENT_LIST, clientFileFlags, renderChange } from './common.js';

/**
 * `docker vaultmcp client disconnect CLIENT NAME`: removes the entry NAME that starts through us. No such entry is
 * not an error (exit 0, nothing changed). Exit 2: unknown client, an entry that is not ours (without --force), a file
 * that does not parse.
 */
export default class ClientDisconnect extends BaseCommand {
  static summary = "Remove the MCP client's entry NAME that starts through docker vaultmcp";
  static description = `CLIENT is one of ${CLIENT_LIST}. The file is backed up first and the change shown as a diff.`;
  static examples = ['<%= config.bin %> client disconnect claude-desktop github', '<%= config.bin %> client disconnect cursor github --scope project'];
  static args = {
    client: Args.string({ description: `the MCP client (${CLIENT_LIST})`, required: true }),
    name: Args.string({ description: "the entry's name", required: true }),
  };
  static flags = {
    force: Flags.boolean({ description: 'remove it even when it does not start through docker vaultmcp', default: false }),
    ...clientFileFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ClientDisconnect);
    const { disconnectClient } = await import('../../../app/clients/connect.js');
    const change = await disconnectClient(this.ctx, {
      client: args.client,
      name: args.name,
      scope: flags.scope,
      configFile: flags['config-file'],
      dryRun: flags['dry-run'],
      force: flags.force,
    });
    renderChange(this.out, change, flags.json, 'disconnect');
  }
}
