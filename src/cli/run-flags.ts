import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { RunRequest } from '../app/run/request.js';

/**
 * The one flag specification of `run`, used by both parsers:
 * - the fast path ({@link parseRunArgv}, `node:util` parseArgs: no oclif, which costs ~35 ms to import, on the
 *   command every MCP client starts for every session);
 * - the oclif command (cli/commands/run.ts builds its `flags` from this table), for help and errors.
 * A flag added here exists on both paths; test/unit/launcher-run-argv.test.ts checks they parse alike.
 */
export const RUN_FLAGS = {
  env: { type: 'string', short: 'e', helpValue: 'ENV', description: 'environment (default: OCI_VAULT_ENVIRONMENT, else the default names)' },
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
    Object.entries(RUN_FLAGS).map(([name, f]) => [name, { type: f.type, ...('short' in f ? { short: f.short } : {}), ...('multiple' in f ? { multiple: true } : {}) }]),
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
    const repeatable = 'multiple' in (RUN_FLAGS as Record<string, object>)[t.name]!;
    if (seen.has(t.name) && !repeatable) return undefined; // repeated: oclif's error, not a silent "last one wins"
    seen.add(t.name);
    if (t.value === '') return undefined;
    if (t.inlineValue && !t.rawName?.startsWith('--')) return undefined; // -eprod
  }
  if (parsed.positionals.length !== 1) return undefined;
  const v = parsed.values;
  const str = (name: string) => (typeof v[name] === 'string' ? (v[name] as string) : undefined);
  return {
    service: parsed.positionals[0]!,
    ...(str('env') !== undefined ? { env: str('env') } : {}),
    ...(str('config') !== undefined ? { config: str('config') } : {}),
    ...(str('cwd') !== undefined ? { cwd: str('cwd') } : {}),
    test: v.test === true,
    json: v.json === true,
    verbose: v.verbose === true,
    offline: v.offline === true,
    refresh: v.refresh === true,
    ...(str('leak-guard') !== undefined ? { leakGuard: str('leak-guard') } : {}),
    ...(Array.isArray(v['secret-file']) ? { secretFiles: v['secret-file'] as unknown as string[] } : {}),
    extraArgs,
  };
}
