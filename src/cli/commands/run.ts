import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { UsageError } from '../../core/errors.js';
import { parseStopTimeout, RUN_FLAGS as F, watchRequest } from '../run-flags.js';

/**
 * `docker vaultmcp run SERVICE [--env E] [--test] [-- extra server args]`: resolves the service's secrets from
 * OCI Vault (or the encrypted cache) and starts its MCP server with them in its environment, then stays between
 * the server and the client on stdio without writing anything to stdout itself. The work is the use-case
 * src/app/run/run.ts, driven by cli/run-command.ts for both parsers (the fast path, cli/fast-run.ts, skips oclif
 * for plain invocations); this class is its oclif face:
 * help, flag parsing and errors for anything the fast path leaves to oclif.
 *
 * Exit codes: the server's own (128+N if a signal N ended it) · 2 usage/config · 3 vault, auth or resolution ·
 * 126 not executable · 127 command not found. `--test` resolves and reports without starting the server: 0 when
 * every required secret resolved, else 3. Behaviour, environment and signals: docs/run.md.
 */
export default class Run extends BaseCommand {
  static summary = 'Start an MCP server with its credentials from OCI Vault (stdio passes through untouched)';
  static description =
    'Resolves the secrets of SERVICE (a name from `service list` or a path to a service file) for the chosen ' +
    'environment, then runs its target_command with them as environment variables. Arguments after `--` are ' +
    'appended to the command. The server gets only the declared secrets, env_overrides, passthrough_env and a ' +
    'default set of variables (PATH, HOME, locale, temp dirs, CA certificates, proxies). stdout is the MCP ' +
    "server's alone; our messages go to stderr. See docs/run.md.";
  static examples = [
    '<%= config.bin %> run github --env production',
    '<%= config.bin %> run github --test',
    '<%= config.bin %> run ./my-server.json -- --read-only',
    '<%= config.bin %> run --secret GITHUB_PERSONAL_ACCESS_TOKEN=github-token -- npx -y @modelcontextprotocol/server-github',
    '<%= config.bin %> run --env-file .env.vault --cwd inherit -- node server.js',
    '<%= config.bin %> run github --watch --interval 60',
    '<%= config.bin %> run --reload 12345',
  ];
  static usage = [
    'run SERVICE [--env ENV] [--config FILE] [--test [--json]] [--offline | --refresh] [--watch [--interval S] [--watch-strict]] [-v] [-- SERVER_ARGS…]',
    'run [--secret VAR=REF]… [--env-file FILE] [--env ENV] [--test] -- COMMAND [ARGS…]',
    'run --reload PID',
  ];
  static strict = false;
  static args = {
    service: Args.string({ description: 'service name or path to a service file (none with `-- COMMAND` or --reload)', required: false }),
  };
  /** From the one flag spec (cli/run-flags.ts) that the fast path parses too; --config/--json/--verbose are base flags. */
  static flags = {
    env: Flags.string({ char: 'e', description: F.env.description, helpValue: F.env.helpValue }),
    test: Flags.boolean({ description: F.test.description, default: false }),
    offline: Flags.boolean({ description: F.offline.description, default: false }),
    cwd: Flags.string({ description: F.cwd.description, helpValue: F.cwd.helpValue }),
    refresh: Flags.boolean({ description: F.refresh.description, default: false }),
    secret: Flags.string({ description: F.secret.description, helpValue: F.secret.helpValue, multiple: true }),
    'env-file': Flags.string({ description: F['env-file'].description, helpValue: F['env-file'].helpValue }),
    'stop-timeout': Flags.string({ description: F['stop-timeout'].description, helpValue: F['stop-timeout'].helpValue }),
    watch: Flags.boolean({ description: F.watch.description, default: false }),
    interval: Flags.string({ description: F.interval.description, helpValue: F.interval.helpValue }),
    'watch-strict': Flags.boolean({ description: F['watch-strict'].description, default: false }),
    reload: Flags.integer({ description: 'ask the watching `run --watch` with this process id to re-resolve its secrets now (sends it SIGUSR1)', helpValue: 'PID', min: 1 }),
    'leak-guard': Flags.string({ description: F['leak-guard'].description, helpValue: F['leak-guard'].helpValue }),
    'secret-file': Flags.string({ description: F['secret-file'].description, helpValue: F['secret-file'].helpValue, multiple: true }),
  };

  async run(): Promise<void> {
    const { args, argv, flags } = await this.parse(Run);
    if (flags.reload !== undefined) {
      if (args.service) throw new UsageError('--reload takes a process id, not a service', 'docker vaultmcp run --reload PID');
      const { reloadWatcher } = await import('../../app/run/watchers.js');
      const service = await reloadWatcher(this.ctx, flags.reload, flags.config);
      this.out.info(`asked process ${flags.reload} (${service}) to re-resolve its secrets`);
      return;
    }
    if (!args.service) throw new UsageError('missing argument SERVICE (service name or path to a service file)', 'docker vaultmcp run --help');
    // Server arguments only after `--`, taken verbatim: a stray word (a typo'd flag value) is an error, not an argument.
    const dashDash = this.argv.indexOf('--');
    const extraArgs = dashDash >= 0 ? this.argv.slice(dashDash + 1) : [];
    // `run [--secret VAR=REF]… [--env-file F] -- COMMAND`: no word before `--` (oclif put the command's first word in `service`)
    const adhoc = (argv as string[]).length === extraArgs.length && extraArgs.length > 0;
    if (!adhoc && !args.service) {
      // the same words as oclif's own missing-argument error; the help shows both forms (SERVICE, or -- COMMAND)
      throw new UsageError('missing argument SERVICE (service name or path to a service file)', 'docker vaultmcp run --help');
    }
    if (!adhoc && (argv as string[]).length - 1 > extraArgs.length) {
      const word = (argv as string[])[1]!;
      throw new UsageError(`unexpected argument '${word}'`, `arguments for the server go after --, e.g. docker vaultmcp run ${args.service} -- ${word}`);
    }
    const { executeRun } = await import('../run-command.js');
    await executeRun(this.ctx, {
      service: adhoc ? '' : args.service!,
      ...(adhoc ? { command: extraArgs } : {}),
      ...(flags.secret?.length ? { secrets: flags.secret } : {}),
      ...(flags['env-file'] !== undefined ? { envFile: flags['env-file'] } : {}),
      env: flags.env,
      config: flags.config,
      test: flags.test,
      json: flags.json,
      verbose: flags.verbose,
      offline: flags.offline,
      refresh: flags.refresh,
      cwd: flags.cwd,
      ...(flags['stop-timeout'] !== undefined ? { stopTimeoutMs: parseStopTimeout(flags['stop-timeout']) } : {}),
      ...(watchRequest(flags.watch, flags.interval, flags['watch-strict']) ? { watch: watchRequest(flags.watch, flags.interval, flags['watch-strict']) } : {}),
      ...(flags['leak-guard'] !== undefined ? { leakGuard: flags['leak-guard'] } : {}),
      ...(flags['secret-file'] ? { secretFiles: flags['secret-file'] } : {}),
      extraArgs: adhoc ? [] : extraArgs,
    });
  }
}
