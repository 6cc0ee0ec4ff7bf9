import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { UsageError } from '../../core/errors.js';

/**
 * `docker vaultmcp serve SERVICE [--host H] [--port N] [--token-secret REF] …`: the service's stdio MCP server
 * over MCP Streamable HTTP at /mcp, one server process per session, behind a vault-held bearer token
 * (src/app/serve/serve.ts). Prints the endpoint URL on stdout when listening; runs until SIGINT/SIGTERM.
 * Exit codes: 0 after a stop signal · 2 usage/config (port taken) · 3 vault/resolution · 127 command not found.
 */
export default class Serve extends BaseCommand {
  static summary = 'Serve a host MCP server over Streamable HTTP (for the Docker MCP gateway\'s `type: remote`), behind a vault-held bearer token';
  static description =
    'Resolves the secrets of SERVICE exactly as `run` does, then listens on http://HOST:PORT/mcp. Each MCP session ' +
    'gets its own server process with those secrets. Every request needs `Authorization: Bearer TOKEN`; TOKEN is the ' +
    'vault secret --token-secret, or `vaultmcp-serve-SERVICE`, generated and stored on first use. Loopback by ' +
    'default; a non-loopback --host needs TLS in front (a proxy or tunnel). See docs/serve.md.';
  static examples = [
    '<%= config.bin %> serve github --port 8931',
    '<%= config.bin %> serve github --host 0.0.0.0 --port 8931 --token-secret github-mcp-token   # behind a TLS tunnel',
  ];
  static usage = 'serve SERVICE [--env ENV] [--host ADDR] [--port N] [--token-secret REF] [--max-sessions N] [--idle-timeout S] [--allow-origin ORIGIN]… [-- SERVER_ARGS…]';
  static strict = false;
  static args = { service: Args.string({ description: 'service name or path to a service file', required: true }) };
  static flags = {
    env: Flags.string({ char: 'e', description: 'environment whose secrets to use', helpValue: 'ENV' }),
    host: Flags.string({ description: 'address to listen on (non-loopback: put TLS in front)', default: '127.0.0.1', helpValue: 'ADDR' }),
    port: Flags.integer({ description: 'port (0: any free one, printed on stdout)', default: 8931, min: 0, max: 65535, helpValue: 'N' }),
    'token-secret': Flags.string({ description: 'vault secret holding the bearer token (default: vaultmcp-serve-SERVICE, generated on first use)', helpValue: 'REF' }),
    'max-sessions': Flags.integer({ description: 'most concurrent MCP sessions (server processes)', default: 8, min: 1, helpValue: 'N' }),
    'idle-timeout': Flags.integer({ description: 'close a session (and stop its server) after this many idle seconds', default: 900, min: 1, helpValue: 'S' }),
    'allow-origin': Flags.string({ description: 'an Origin allowed besides loopback ones (repeatable)', multiple: true, helpValue: 'ORIGIN' }),
    cwd: Flags.string({ description: 'the servers\' working directory (a path, or `inherit`); default private and empty', helpValue: 'DIR' }),
    offline: Flags.boolean({ description: 'use only the encrypted cache (no vault call)', default: false }),
    refresh: Flags.boolean({ description: 'skip the cache and read every secret from the vault', default: false }),
  };

  async run(): Promise<void> {
    const { args, argv, flags } = await this.parse(Serve);
    const dashDash = this.argv.indexOf('--');
    const extraArgs = dashDash >= 0 ? this.argv.slice(dashDash + 1) : [];
    if ((argv as string[]).length - 1 > extraArgs.length) {
      const word = (argv as string[])[1]!;
      throw new UsageError(`unexpected argument '${word}'`, `arguments for the server go after --, e.g. docker vaultmcp serve ${args.service} -- ${word}`);
    }
    const { startServe } = await import('../../app/serve/serve.js');
    const out = this.out;
    const running = await startServe(
      this.ctx,
      {
        service: args.service,
        env: flags.env,
        config: flags.config,
        host: flags.host,
        port: flags.port,
        tokenSecret: flags['token-secret'],
        maxSessions: flags['max-sessions'],
        idleTimeoutS: flags['idle-timeout'],
        allowOrigins: flags['allow-origin'] ?? [],
        offline: flags.offline,
        refresh: flags.refresh,
        cwd: flags.cwd,
        extraArgs,
      },
      {
        onEvent: (e) => {
          if (e.type === 'warning') out.warn(e.message);
          else if (e.type === 'info') out.info(e.message);
          else if (flags.verbose && e.type === 'session') out.info(`session ${e.id.slice(0, 8)} ${e.action}${e.reason ? ` (${e.reason})` : ''}; ${e.sessions} open`);
          else if (flags.verbose && e.type === 'rejected') out.info(`rejected a request: ${e.status} ${e.reason}`);
        },
      },
    );
    if (flags.json) this.out.json({ url: running.url, tokenSecret: running.tokenSecret, tokenGenerated: running.tokenGenerated });
    else this.out.result(running.url);
    out.info(`serving ${args.service} at ${running.url} (bearer token: vault secret ${running.tokenSecret}); Ctrl-C stops`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve(s));
    });
    out.info(`${signal}: closing ${running.sessions()} session(s)`);
    await running.close();
  }
}
