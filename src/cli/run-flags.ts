import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { RunRequest } from '../app/run/request.js';
import { UsageError } from '../core/errors.js';

/**
 * The one flag specification of `run`, used by both parsers:
 * - the fast path ({@link parseRunArgv}, `node:util` parseArgs: no oclif, which costs ~35 ms to import, on the
 *   command every MCP client starts for every session);
 * - the oclif command (cli/commands/run.ts builds its `flags` from this table), for help and errors.
 * A flag added here exists on both paths; test/unit/launcher-run-argv.test.ts checks they parse alike.
 */
export const RUN_FLAGS = {
  env: { type: 'string', short: 'e', helpValue: 'ENV', description: 'environment (default: OCI_VAULT_ENVIRONMENT, else the default names); one that neither the service nor resolver.yaml `environments:` knows is an error (exit 2)' },
  config: { type: 'string', helpValue: 'FILE', description: 'resolver.yaml to use (highest-priority settings source)' },
  test: { type: 'boolean', description: 'resolve and show each variable (masked) without starting the server; exit 0 or 3' },
  json: { type: 'boolean', description: 'with --test: the report as JSON on stdout' },
  verbose: { type: 'boolean', short: 'v', description: 'timings, cache and vault details on stderr' },
  offline: { type: 'boolean', description: 'use only the encrypted cache (fresh or stale); never call the vault' },
  refresh: { type: 'boolean', description: 'ignore fresh cache entries and read every secret from the vault' },
  cwd: {
    type: 'string',
    helpValue: 'DIR',
    description:
      "the server's working directory, or `inherit` for the current one (default: the service's cwd, else a private empty directory, so a project's node_modules cannot replace the server)",
  },
  watch: { type: 'boolean', description: "live rotation: poll the secrets' CURRENT versions and move the session to a server with the new values (docs/run.md)" },
  interval: { type: 'string', helpValue: 'S', description: 'with --watch: seconds between version checks (±10 % jitter; default the service\'s watch.interval, else 300; at least 5)' },
  'watch-strict': { type: 'boolean', description: 'with --watch: stop (exit 3) when a new server cannot take over, instead of keeping the old one' },
  // run -- COMMAND (no service file): issue 11
  secret: {
    type: 'string',
    multiple: true,
    helpValue: 'VAR=REF',
    description: 'with -- COMMAND: put the secret REF (name, OCID, oci-vault:// URL, vault:NAME) in VAR; repeatable',
  },
  'env-file': {
    type: 'string',
    helpValue: 'FILE',
    description: 'with -- COMMAND: variables in dotenv syntax; reference values (oci-vault://, ocid1.vaultsecret…, vault:NAME) are resolved, others passed as they are',
  },
  'stop-timeout': {
    type: 'string',
    helpValue: 'S',
    description: 'seconds the server gets to exit after SIGTERM (ours at stdin EOF, or one we forward) before SIGKILL to its process group (default 10, like docker stop)',
  },
  // --- leak guard and file secrets (docs/leak-guard.md) ---
  'leak-guard': {
    type: 'string',
    helpValue: 'MODE',
    description: "redact | block | off: the leak guard on the server's messages and stderr (default: the service's leak_guard, else the settings', else redact)",
  },
  'secret-file': {
    type: 'string',
    multiple: true,
    helpValue: 'VAR=REF',
    description: "give the secret REF to the server as a private in-memory file whose path is VAR (repeatable)",
  },
} as const satisfies Record<string, { type: 'string' | 'boolean'; short?: string; helpValue?: string; description: string; multiple?: boolean }>;

/**
 * Parses `run`'s own argv (after the word `run`) for the fast path. Returns undefined for anything it does not
 * recognise with certainty (help, unknown or repeated flags, a flag value glued to a short flag, a stray word, no
 * service): the caller then goes through oclif, which reports errors and help the usual way.
 * @param argv e.g. `['github', '--env', 'production', '--', '--read-only']`
 * @returns the request; `extraArgs` are the words after the first `--`, verbatim
 */
export function parseRunArgv(argv: readonly string[]): RunRequest | undefined {
  const dashDash = argv.indexOf('--');
  const own = dashDash >= 0 ? argv.slice(0, dashDash) : [...argv];
  const extraArgs = dashDash >= 0 ? argv.slice(dashDash + 1) : [];
  const options = Object.fromEntries(
    Object.entries(RUN_FLAGS).map(([name, f]) => [name, { type: f.type, ...('short' in f ? { short: f.short } : {}), ...('multiple' in f ? { multiple: f.multiple } : {}) }]),
  ) as ParseArgsConfig['options'];
  type Token = { kind: string; name?: string; rawName?: string; value?: string; inlineValue?: boolean };
  let parsed: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[]; tokens: Token[] };
  try {
    parsed = parseArgs({ args: own, options, tokens: true, allowPositionals: true, strict: true }) as unknown as typeof parsed;
  } catch {
    return undefined; // unknown flag, missing value, a value that looks like a flag, --bool=x: oclif says why
  }
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option' || !t.name) continue;
    if (seen.has(t.name) && !(RUN_FLAGS as Record<string, { multiple?: boolean }>)[t.name]?.multiple) return undefined; // repeated: oclif's error, not a silent "last one wins"
    seen.add(t.name);
    if (t.value === '') return undefined;
    if (t.inlineValue && !t.rawName?.startsWith('--')) return undefined; // -eprod
  }
  // one service, or none and a command after `--` (run -- COMMAND)
  const adhoc = parsed.positionals.length === 0 && extraArgs.length > 0;
  if (parsed.positionals.length !== 1 && !adhoc) return undefined;
  const stop = parsed.values['stop-timeout'];
  if (typeof stop === 'string' && !STOP_TIMEOUT.test(stop)) return undefined; // oclif's path says what is wrong
  const v = parsed.values;
  const str = (name: string) => (typeof v[name] === 'string' ? (v[name] as string) : undefined);
  let watch: RunRequest['watch'];
  try {
    watch = watchRequest(v.watch === true, str('interval'), v['watch-strict'] === true);
  } catch {
    return undefined; // oclif reports the bad --interval
  }
  const secrets = Array.isArray(v.secret) ? (v.secret as unknown as string[]) : [];
  return {
    service: adhoc ? '' : parsed.positionals[0]!,
    ...(adhoc ? { command: extraArgs } : {}),
    ...(secrets.length > 0 ? { secrets } : {}),
    ...(str('env-file') !== undefined ? { envFile: str('env-file') } : {}),
    ...(str('env') !== undefined ? { env: str('env') } : {}),
    ...(str('config') !== undefined ? { config: str('config') } : {}),
    ...(str('cwd') !== undefined ? { cwd: str('cwd') } : {}),
    ...(str('stop-timeout') !== undefined ? { stopTimeoutMs: parseStopTimeout(str('stop-timeout')!) } : {}),
    test: v.test === true,
    json: v.json === true,
    verbose: v.verbose === true,
    offline: v.offline === true,
    refresh: v.refresh === true,
    ...(watch ? { watch } : {}),
    ...(str('leak-guard') !== undefined ? { leakGuard: str('leak-guard') } : {}),
    ...(Array.isArray(v['secret-file']) ? { secretFiles: v['secret-file'] as unknown as string[] } : {}),
    extraArgs: adhoc ? [] : extraArgs,
  };
}

const STOP_TIMEOUT = /^(\d{1,6})(\.\d{1,3})?$/;

/**
 * `--stop-timeout S`: seconds (decimals allowed, up to 3 places; 0 = SIGKILL at once), at most 999999.
 * @returns milliseconds
 * @throws UsageError (exit 2) for anything else
 */
export function parseStopTimeout(value: string): number {
  if (!STOP_TIMEOUT.test(value)) {
    throw new UsageError(`--stop-timeout must be a number of seconds, got '${value.length > 20 ? value.slice(0, 20) + '…' : value}'`, 'e.g. --stop-timeout 10 (the default) or --stop-timeout 2.5');
  }
  return Math.round(Number(value) * 1000);
}

/**
 * The `watch` part of a run request from `--watch`, `--interval S` and `--watch-strict`.
 * @returns undefined without `--watch`
 * @throws UsageError (exit 2) for `--interval`/`--watch-strict` without `--watch`, or an interval that is not a
 *   whole number of seconds ≥ 5
 */
export function watchRequest(watch: boolean, interval: string | undefined, strict: boolean): RunRequest['watch'] {
  if (!watch) {
    if (interval !== undefined || strict) throw new UsageError('--interval and --watch-strict only apply with --watch', 'add --watch');
    return undefined;
  }
  if (interval === undefined) return strict ? { strict } : {};
  const seconds = /^\d{1,7}$/.test(interval) ? Number(interval) : NaN;
  if (!(seconds >= 5)) throw new UsageError(`--interval must be a whole number of seconds, at least 5 (got '${interval}')`, 'e.g. --watch --interval 60');
  return { intervalS: seconds, ...(strict ? { strict } : {}) };
}
