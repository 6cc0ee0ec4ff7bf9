import { Flags } from '@oclif/core';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BaseCommand } from '../../base-command.js';
import { ConfigError, UsageError } from '../../../core/errors.js';

/**
 * `docker vaultmcp dev vault`: runs the local OCI Vault emulator (src/emulator) until SIGTERM/SIGINT.
 * stdout: exactly one JSON line with the EmulatorInfo fields once it listens; nothing else.
 * stderr: one line per API request with --verbose (never values). Exit 0 on a signal; 2 on a bad seed file or
 * a port in use.
 */
export default class DevVault extends BaseCommand {
  static summary = 'Run a local OCI Vault emulator (Secrets + Vault APIs) for demos and tests';
  static description =
    'Serves the OCI Secrets retrieval and Vault management APIs on 127.0.0.1 and verifies request signatures. ' +
    'It writes an API key, an OCI config file and a resolver.yaml into the state directory and prints one JSON ' +
    'line (endpoint, OCIDs, ociConfigFile, resolverConfig) on stdout. Test hooks live under /_emulator. ' +
    'With --principals it also serves the instance metadata service, X.509 federation, a resource principal ' +
    'environment and the OKE token endpoint (docs/principals.md); the JSON line then has a "principals" object.';
  static examples = [
    '<%= config.bin %> dev vault --port 0 --seed secrets.json',
    '<%= config.bin %> dev vault --state-dir ./.emu --seed secrets.json &   # then: docker vaultmcp run github --config ./.emu/resolver.yaml',
    'unshare -n sh -c \'ip link set lo up; ip addr add 169.254.169.254/32 dev lo; <%= config.bin %> dev vault --principals --state-dir ./.emu\'',
  ];
  static flags = {
    port: Flags.integer({ description: 'TCP port on 127.0.0.1 (0 = any free port)', default: 9443, min: 0, max: 65535, helpValue: 'PORT' }),
    'state-dir': Flags.string({ description: 'directory for the key pair, config files and OCIDs (default: a new temp dir)', helpValue: 'DIR' }),
    seed: Flags.string({ description: 'JSON file {"secret-name": "value", …} of secrets to create', helpValue: 'FILE' }),
    'latency-ms': Flags.integer({ description: 'delay added to every API request, ms', default: 0, min: 0, helpValue: 'MS' }),
    'page-size': Flags.integer({ description: 'most items per list page, whatever the client asks (OCI pages too)', default: 3, min: 1, max: 1000, helpValue: 'N' }),
    region: Flags.string({ description: 'region of the emulated vault', default: 'us-ashburn-1', helpValue: 'REGION' }),
    persist: Flags.boolean({ description: 'keep secrets in <state-dir>/state.json across restarts', default: false }),
    principals: Flags.boolean({
      description: 'also emulate instance, resource and OKE workload principals: the metadata service (see --imds-listen), X.509 federation, an RPST environment, the OKE token endpoint',
      default: false,
    }),
    'imds-listen': Flags.string({
      description: 'address of the emulated instance metadata service, with --principals (the SDK only asks 169.254.169.254:80: use a private network namespace)',
      default: '169.254.169.254:80',
      helpValue: 'ADDR:PORT',
    }),
    'token-ttl': Flags.integer({ description: 'lifetime of the session tokens it issues, seconds, with --principals', default: 1200, min: 1, helpValue: 'SECONDS' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DevVault);
    const seed = flags.seed ? await readSeed(path.resolve(this.ctx.cwd, flags.seed)) : undefined;
    const stateDir = flags['state-dir']
      ? path.resolve(this.ctx.cwd, flags['state-dir'])
      : await mkdtemp(path.join(os.tmpdir(), 'vaultmcp-emulator-'));
    if (flags['state-dir']) await refuseForeignStateDir(stateDir);
    const { startVaultEmulator } = await import('../../../emulator/index.js');
    let emulator: Awaited<ReturnType<typeof startVaultEmulator>>;
    try {
      emulator = await startVaultEmulator({
        port: flags.port,
        stateDir,
        seed,
        latencyMs: flags['latency-ms'],
        maxPageSize: flags['page-size'],
        region: flags.region,
        persist: flags.persist,
        principals: flags.principals ? { imdsListen: flags['imds-listen'], tokenTtlSeconds: flags['token-ttl'] } : undefined,
        log: flags.verbose ? (line) => this.ctx.stderr.write(`vaultmcp emulator: ${line}\n`) : undefined,
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new UsageError(`port ${flags.port} is already in use`, 'pass --port 0 to pick a free port');
      }
      const code = (err as NodeJS.ErrnoException).code;
      if (flags.principals && (code === 'EADDRNOTAVAIL' || code === 'EACCES' || code === 'EADDRINUSE')) {
        throw new UsageError(
          `cannot serve the metadata service on ${flags['imds-listen']} (${code})`,
          code === 'EACCES'
            ? 'ports below 1024 need root: run it as root in a private network namespace'
            : 'run it in a network namespace that has the address, e.g. `unshare -n sh -c "ip link set lo up; ip addr add 169.254.169.254/32 dev lo; docker-vaultmcp dev vault --principals"`, or pass --imds-listen',
        );
      }
      if ((err as Error).message?.startsWith('--imds-listen')) throw new UsageError((err as Error).message, 'e.g. --imds-listen 169.254.169.254:80');
      throw new ConfigError(`cannot start the emulator: ${(err as Error).message}`, { hint: 'check --state-dir and --seed' });
    }
    const stopped = new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    this.ctx.stdout.write(JSON.stringify(emulator.info) + '\n');
    const signal = await stopped;
    if (flags.verbose) this.ctx.stderr.write(`vaultmcp emulator: ${signal} received, stopping\n`);
    await emulator.close();
  }
}

/** Files the emulator writes into its state directory (replacing what is there). */
const STATE_FILES = ['config', 'resolver.yaml', 'oci_api_key.pem', 'oci_api_key_public.pem'];

/**
 * Refuses a --state-dir that holds files the emulator would replace but that it did not create (no
 * emulator-seed.json): `--state-dir ~/.oci` must not overwrite the user's real OCI config, nor
 * `--state-dir ~/.config/oci-vault-mcp` their resolver.yaml.
 * @throws UsageError (exit 2) naming the files
 */
async function refuseForeignStateDir(stateDir: string): Promise<void> {
  const { existsSync } = await import('node:fs');
  if (existsSync(path.join(stateDir, 'emulator-seed.json'))) return; // an emulator state directory: reused
  const clash = STATE_FILES.filter((f) => existsSync(path.join(stateDir, f)));
  if (clash.length > 0) {
    throw new UsageError(
      `--state-dir ${stateDir} is not an emulator state directory and already holds ${clash.join(', ')}, which the emulator would overwrite`,
      'pass a new or empty directory, e.g. --state-dir ./.emu',
    );
  }
}

/** Reads a seed file: a JSON object of string values. @throws ConfigError (exit 2) with a one-line message */
async function readSeed(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read seed file (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { file });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError('seed file is not valid JSON', { file, hint: 'expected {"secret-name": "value", …}' });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError('seed file must be a JSON object of name → value', { file, hint: 'expected {"secret-name": "value", …}' });
  }
  const seed: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new ConfigError(`value of ${JSON.stringify(name)} must be a string`, { file });
    if (!/^[A-Za-z0-9._-]{1,255}$/.test(name)) {
      throw new ConfigError(`invalid secret name ${JSON.stringify(name)}`, { file, hint: 'names use letters, digits, ".", "_" and "-"' });
    }
    seed[name] = v;
  }
  return seed;
}
