import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { COMPLETION_SCRIPTS, type CompletionShell } from '../completion-scripts.js';

/**
 * `docker-vaultmcp completion bash|zsh|fish`: prints the shell's completion script for the binary called directly
 * (commands, flags, services, environments, secret names from the cache). Through docker (`docker vaultmcp …`),
 * docker's own completion already asks the plugin.
 */
export default class Completion extends BaseCommand {
  static summary = 'Print a shell completion script for docker-vaultmcp (bash, zsh, fish)';
  static description =
    'Completes commands, flags, service names, the environments of a service and secret names (from the encrypted ' +
    "cache's metadata, never values; no vault call). `docker vaultmcp …` needs no script: docker's own completion " +
    'asks the plugin.';
  static examples = [
    { description: 'bash, for this shell', command: 'source <(<%= config.bin %> completion bash)' },
    { description: 'zsh', command: '<%= config.bin %> completion zsh > "${fpath[1]}/_docker-vaultmcp"' },
    { description: 'fish', command: '<%= config.bin %> completion fish > ~/.config/fish/completions/docker-vaultmcp.fish' },
  ];
  static args = {
    shell: Args.string({ description: 'bash, zsh or fish', required: true, options: Object.keys(COMPLETION_SCRIPTS) }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    this.out.result(COMPLETION_SCRIPTS[args.shell as CompletionShell]);
  }
}
