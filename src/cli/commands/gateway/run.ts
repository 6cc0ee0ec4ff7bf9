import os from 'node:os';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';

/**
 * `docker vaultmcp gateway run [--env E] [--map FILE] [--watch [--interval S]] [-- GATEWAY_ARGS…]`: resolves the
 * gateway map's secrets from OCI Vault and runs `docker mcp gateway run --secrets FIFO GATEWAY_ARGS…` with them
 * served through a FIFO (src/app/gateway/run.ts). stdio passes through to the gateway (its stdio transport).
 * Exit codes: the gateway's own (128+N for signal N) · 2 usage/config/docker mcp too old · 3 vault/resolution ·
 * 127 docker or docker mcp missing. docs/gateway.md.
 */
export default class GatewayRun extends BaseCommand {
  static summary = 'Run the Docker MCP gateway with its servers\' secrets from OCI Vault (served through a FIFO, never on disk)';
  static description =
    'Resolves every secret of the gateway map (catalog secret name → vault reference) for the chosen environment, ' +
    'then runs `docker mcp gateway run --secrets FIFO GATEWAY_ARGS…`, where FIFO is a 0600 named pipe in a private ' +
    'directory on a memory-backed filesystem that hands the gateway its `.env` payload each time it opens it. ' +
    'Pass the gateway\'s own arguments after `--` (they must select file mode: --servers, --catalog, …; not --profile). ' +
    'With --watch, a new CURRENT version of a mapped secret restarts the gateway with the new value (the gateway\'s ' +
    'own reload keeps stale secrets). See docs/gateway.md.';
  static examples = [
    '<%= config.bin %> gateway run -- --servers github --catalog ~/.docker/mcp/catalogs/docker-mcp.yaml',
    '<%= config.bin %> gateway run --env production --watch --interval 60 -- --servers github,notion --transport streaming --port 8811',
  ];
  static usage = 'gateway run [--env ENV] [--map FILE] [--watch [--interval S]] [--stop-timeout S] [--allow-verbose] [-- GATEWAY_ARGS…]';
  static strict = false;
  static flags = {
    env: Flags.string({ char: 'e', description: 'environment whose references to use (default: OCI_VAULT_ENVIRONMENT, else the default names)', helpValue: 'ENV' }),
    map: Flags.string({ description: 'gateway map file (default: ~/.config/oci-vault-mcp/gateway.yaml)', helpValue: 'FILE' }),
    watch: Flags.boolean({ description: 'restart the gateway when a mapped secret gets a new CURRENT version (metadata calls only)', default: false }),
    interval: Flags.integer({ description: 'seconds between --watch checks', default: 60, min: 1, helpValue: 'S' }),
    'stop-timeout': Flags.integer({ description: 'seconds between SIGTERM and SIGKILL when stopping the gateway', default: 10, min: 0, helpValue: 'S' }),
    'allow-verbose': Flags.boolean({ description: 'let the gateway\'s --verbose through (it logs the first 4 characters of every secret)', default: false }),
    offline: Flags.boolean({ description: 'use only the encrypted cache (no vault call)', default: false }),
    refresh: Flags.boolean({ description: 'skip the cache and read every secret from the vault', default: false }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(GatewayRun);
    if (flags.json) {
      const { UsageError } = await import('../../../core/errors.js');
      throw new UsageError('--json does not apply to gateway run (stdout belongs to the gateway)', 'drop --json; `gateway map show --json` lists the mappings');
    }
    const dashDash = this.argv.indexOf('--');
    const gatewayArgs = dashDash >= 0 ? this.argv.slice(dashDash + 1) : [];
    if ((argv as string[]).length > gatewayArgs.length) {
      const { UsageError } = await import('../../../core/errors.js');
      const word = (argv as string[])[0]!;
      throw new UsageError(`unexpected argument '${word}'`, `arguments for the gateway go after --, e.g. docker vaultmcp gateway run -- ${word}`);
    }
    // Until the gateway runs, a stop request ends us at once; the 'exit' hook removes a FIFO made meanwhile.
    const STOP = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const early = (signal: NodeJS.Signals) => process.exit(128 + (os.constants.signals[signal] ?? 0));
    for (const s of STOP) process.on(s, early);
    const removeEarly = () => {
      for (const s of STOP) process.off(s, early);
    };
    const { runGateway } = await import('../../../app/gateway/run.js');
    const out = this.out;
    try {
      process.exitCode = await runGateway(
        this.ctx,
        {
          env: flags.env,
          map: flags.map,
          config: flags.config,
          watch: flags.watch,
          intervalS: flags.interval,
          stopTimeoutS: flags['stop-timeout'],
          allowVerbose: flags['allow-verbose'],
          offline: flags.offline,
          refresh: flags.refresh,
          verbose: flags.verbose,
          gatewayArgs,
        },
        {
          onFifo: (fifo) => {
            process.once('exit', () => fifo.removeSync());
            removeEarly();
          },
          onEvent: (e) => {
            if (e.type === 'warning') out.warn(e.message);
            else if (e.type === 'info') out.info(e.message);
            else if (flags.verbose && e.type === 'served') out.info(`secrets handed to the gateway (${e.count})`);
            else if (flags.verbose && e.type === 'launcher') {
              const ev = e.event;
              if (ev.type === 'spawned') out.info(`gateway started (pid ${ev.pid})`);
              else if (ev.type === 'signal') out.info(`forwarding ${ev.signal} to the gateway`);
              else if (ev.type === 'stdin-end') out.info('the client closed stdin; stopping the gateway');
              else if (ev.type === 'exit') out.info(`gateway exited (${ev.signal ?? `code ${ev.code}`})`);
            }
          },
        },
      );
    } finally {
      removeEarly();
    }
  }
}
