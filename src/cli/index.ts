/**
 * Builds the oclif CLI without reading anything from disk (works inside the single-file binary): an inline
 * package.json and a preloaded plugin whose command cache is our explicit command table.
 * See ../shared/reference/packaging.md "oclif in a bundle". Depends on the private `commandCache` field of
 * @oclif/core 5.1.9 (pinned); the built-binary smoke test guards it.
 */
import { Config, Plugin, run } from '@oclif/core';
import { COMMANDS } from './command-table.js';
import { renderError } from './render-error.js';

/**
 * Runs one CLI invocation and exits with its code.
 * @param argv our arguments (docker's already removed), e.g. `['run', 'github', '--env', 'production']`
 * @param version package version for `--version`
 */
export async function runCli(argv: string[], version: string): Promise<void> {
  const root = import.meta.dirname ?? process.cwd();
  const pjson = {
    name: 'docker-vaultmcp',
    version,
    oclif: {
      bin: 'docker vaultmcp',
      dirname: 'docker-vaultmcp',
      topicSeparator: ' ',
      commands: { strategy: 'explicit', target: './commands', identifier: 'COMMANDS' },
      topics: {
        secret: { description: 'Manage MCP credentials in OCI Vault' },
        service: { description: 'List and inspect MCP service definitions' },
        cache: { description: 'Inspect and clear the encrypted secret cache' },
        dev: { description: 'Developer tools: the local OCI Vault emulator' },
        client: { description: "Connect MCP clients (Claude, Cursor, VS Code, Codex…) and move their plaintext tokens to the vault" },
        gateway: { description: 'Docker MCP gateway: its servers\' secrets from OCI Vault, through a FIFO' },
        'gateway:map': { description: 'The gateway map: catalog secret name → OCI Vault reference' },
        'gateway:catalog': { description: 'Catalog entries for servers served by `docker vaultmcp serve`' },
        audit: { description: 'Read the values-free audit trail of launches' },
      },
    },
  };
  // oclif's help re-reads process.argv on parse errors: make it see our argv, not docker's.
  process.argv = [process.argv[0]!, process.argv[1]!, ...argv];
  try {
    const plugin = new Plugin({ root, pjson: pjson as never, isRoot: true, ignoreManifest: true });
    (plugin as unknown as { commandCache: unknown }).commandCache = COMMANDS;
    await plugin.load();
    const config = new Config({ root, pjson: pjson as never, plugins: new Map([[plugin.name, plugin]]) } as never);
    await config.load();
    await run(argv.length === 0 ? ['--help'] : argv, config);
  } catch (err) {
    process.exitCode = renderError(err, process.stderr, undefined, Object.keys(COMMANDS));
  }
  const { flushAndExit } = await import('./exit.js');
  await flushAndExit(Number(process.exitCode ?? 0));
}
