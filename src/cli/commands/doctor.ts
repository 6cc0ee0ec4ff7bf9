import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';

/**
 * `docker vaultmcp doctor [--service S]… [--env E] [--json]`: checks settings, OCI config and key, auth and clock
 * skew, vault and master key, keychain, cache, each `--service` (definition, command, secrets, MCP handshake), and
 * the Docker plugin install. On a TTY: a live checklist (Ink). Otherwise plain text, or with `--json` exactly
 * `{"checks":[{id,title,status,detail,hint,ms}],"summary":{pass,warn,fail,skip,ms}}` (docs/doctor-and-setup.md).
 * Exit 0 when no check failed, 1 otherwise; 2 for bad usage.
 */
export default class Doctor extends BaseCommand {
  static summary = 'Check the setup and say exactly what is wrong and how to fix it';
  static description =
    'Runs independent checks concurrently, each bounded by a time limit: settings and their sources, the OCI ' +
    'config profile and API key (readable, mode 0600, fingerprint), a signed vault call and clock skew, the vault ' +
    'and master key, the OS keychain, the secret cache, and for each --service its definition, command, secrets ' +
    '(version only, never values) and an MCP handshake (initialize + tools/list; stdout must carry only JSON-RPC). ' +
    'Exit status 0 when nothing failed, 1 otherwise. See docs/doctor-and-setup.md.';
  static examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --service github --env production',
    '<%= config.bin %> doctor --json | jq \'.checks[] | select(.status == "fail")\'',
  ];
  static flags = {
    service: Flags.string({ char: 's', description: 'also check this service (repeatable): name or path', multiple: true, helpValue: 'SERVICE' }),
    env: Flags.string({ char: 'e', description: "environment of the services' secrets (default: OCI_VAULT_ENVIRONMENT)", helpValue: 'ENV' }),
    'timeout-ms': Flags.integer({ description: 'time limit per check in ms (the MCP handshake gets at least 60000 unless set)', min: 100, max: 600_000, helpValue: 'MS' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Doctor);
    const { buildDoctorChecks, runDoctor, doctorExitCode, DEFAULT_HANDSHAKE_TIMEOUT_MS } = await import('../../app/doctor/index.js');
    const { formatReportJson, formatReportText } = await import('../../ui/doctor/text.js');
    const timeoutMs = flags['timeout-ms'];
    const checks = buildDoctorChecks(this.ctx, {
      configFile: flags.config,
      services: flags.service ?? [],
      environment: flags.env,
      handshakeTimeoutMs: timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      version: this.config.version,
    });
    const interactive = !flags.json && !!this.ctx.stdin.isTTY && !!this.ctx.stdout.isTTY;
    let report;
    if (interactive) {
      const { renderDoctorLive } = await import('../../ui/doctor/live.js');
      report = await renderDoctorLive(
        checks,
        (feed) => runDoctor(this.ctx, { checks, timeoutMs, onStart: feed.start, onResult: feed.result }),
        { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
      );
    } else {
      report = await runDoctor(this.ctx, { checks, timeoutMs });
      this.ctx.stdout.write(flags.json ? formatReportJson(report) : formatReportText(report));
    }
    process.exitCode = doctorExitCode(report);
  }
}
