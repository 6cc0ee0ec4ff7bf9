import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { CLIENT_LIST } from './common.js';

/**
 * `docker vaultmcp client import CLIENT [--apply]`: moves plaintext credentials from the client's MCP entries to the
 * vault (src/app/clients/import.ts). Without --apply: the plan, values masked, nothing changed. Exit 0 · 1 a
 * rewritten entry failed its MCP handshake (backup kept) · 2 bad input, conflicts, unparsable config · 3 vault.
 */
export default class ClientImport extends BaseCommand {
  static summary = "Move plaintext tokens from an MCP client's config into the vault";
  static description =
    `CLIENT is one of ${CLIENT_LIST}. Entries whose env holds credentials (*TOKEN*, *KEY*, *SECRET*, *PASSWORD*, *PAT*, ` +
    "and the built-in templates' variables) are planned: each value becomes a vault secret named by --name-pattern, a " +
    'service definition gets the command and the other variables, and the entry starts that service through us. ' +
    'Without --apply only the plan is shown (values masked). --apply is all or nothing: every upload happens before ' +
    'any file is written; a secret of the same name with the same value is reused, another value stops the import ' +
    'unless --rotate-existing. Afterwards each rewritten entry gets an MCP handshake and the 0600 backup (the last ' +
    'plaintext copy) is deleted when all pass, unless --keep-backup.';
  static examples = [
    '<%= config.bin %> client import claude-desktop',
    '<%= config.bin %> client import cursor --apply',
    "<%= config.bin %> client import vscode --scope project --apply --name-pattern 'mcp-{server}-{var}'",
  ];
  static args = { client: Args.string({ description: `the MCP client (${CLIENT_LIST})`, required: true }) };
  static flags = {
    apply: Flags.boolean({ description: 'do it (default: show the plan only)', default: false }),
    'name-pattern': Flags.string({ description: 'secret names, from {server} and {var} in lower-kebab case (default {server}-{var})', helpValue: 'PATTERN' }),
    'rotate-existing': Flags.boolean({ description: 'a same-named secret with another value gets a new version instead of stopping the import', default: false }),
    'keep-backup': Flags.boolean({ description: 'keep the backup of the client config even when every check passes', default: false }),
    force: Flags.boolean({ description: 'replace user service definitions of the same name', default: false }),
    'via-docker': Flags.boolean({ description: 'rewrite entries as `docker vaultmcp run …` instead of the binary path', default: false }),
    scope: Flags.string({ description: "which of the client's files: user (default) or project", options: ['user', 'project'], helpValue: 'SCOPE' }),
    'config-file': Flags.string({ description: "use this file instead of the client's default one", helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ClientImport);
    const { importClient } = await import('../../../app/clients/import.js');
    const result = await importClient(this.ctx, {
      client: args.client,
      scope: flags.scope,
      configFile: flags['config-file'],
      apply: flags.apply,
      namePattern: flags['name-pattern'],
      rotateExisting: flags['rotate-existing'],
      keepBackup: flags['keep-backup'],
      force: flags.force,
      settingsFile: flags.config,
      viaDocker: flags['via-docker'],
      selfPaths: [process.execPath],
    }).catch((err: Error & { result?: import('../../../app/clients/import.js').ImportResult }) => {
      if (err.result) this.render(err.result, flags.json);
      throw err;
    });
    this.render(result, flags.json);
  }

  private render(result: import('../../../app/clients/import.js').ImportResult, json: boolean): void {
    if (json) this.out.json(result);
    else if (result.items.length > 0) {
      const lines = [`${result.applied ? 'Imported' : 'Plan (nothing changed; --apply does it)'}: ${result.file}`];
      for (const item of result.items) {
        lines.push(`  ${item.server} → service ${item.service} (${item.serviceFile}${item.serviceSame ? ', exists, identical' : item.serviceExists ? ', exists' : ''}): ${item.command.join(' ')}`);
        for (const s of item.secrets) lines.push(`    ${s.envVar} = ${s.masked} → secret ${s.secretName} (${s.action})`);
        if (item.envOverrides.length > 0) lines.push(`    env_overrides: ${item.envOverrides.join(', ')}`);
        if (item.passthrough.length > 0) lines.push(`    kept in the entry (the client expands them): ${item.passthrough.join(', ')}`);
      }
      for (const c of result.checks ?? []) lines.push(`  check ${c.server}: ${c.ok ? 'ok' : 'FAILED'}: ${c.detail}`);
      this.out.result(lines.join('\n'));
      if (result.diff) this.out.result(result.diff);
    }
    for (const note of result.notes) this.out.info(note);
  }
}
