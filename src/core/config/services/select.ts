import { closest, distance } from 'fastest-levenshtein';
import { ConfigError, UsageError } from '../../errors.js';
import { formatSecretRef, parseSecretRef, type SecretRef, type Stage } from '../../vault/refs.js';
import type { SecretDeclaration, ServiceDefinition } from './schema.js';

/** One secret to resolve for a launch: which variable gets it and where it comes from. */
export interface SecretSpec {
  /** Environment variable of the MCP server, e.g. `GITHUB_PERSONAL_ACCESS_TOKEN`. */
  envVar: string;
  /** Parsed reference with the version selector of the chosen environment applied. */
  ref: SecretRef;
  /** Canonical reference text (for messages, `--test`, cache keys). */
  reference: string;
  /** Required secrets are all-or-nothing; optional ones only warn. */
  required: boolean;
  /** Set when the value goes into a private file whose path is the variable's value (`file: true`). */
  file?: SecretFileSpec;
}

/** How a `file: true` secret is materialised. */
export interface SecretFileSpec {
  /** File mode, owner bits only (0o600 default). */
  mode: number;
  /** File name in the run's private directory (default: the variable's name). */
  name: string;
}

export interface ServiceSelection {
  /** The environment used (`default` when none was asked for or the asked one is unknown). */
  environment: string;
  specs: SecretSpec[];
  /** Plain variables from `env_overrides`. */
  overrides: Record<string, string>;
  /** Messages for stderr, e.g. the unknown-environment warning. */
  warnings: string[];
}

export const DEFAULT_ENVIRONMENT = 'default';

/** All environment names a service knows: `environments` plus every key of per-environment maps. */
export function knownEnvironments(service: ServiceDefinition): string[] {
  const names = new Set<string>(service.environments);
  for (const decl of Object.values(service.secrets)) {
    if (typeof decl === 'string') continue;
    for (const map of [decl.environment, decl.version, decl.stage]) {
      if (map && typeof map === 'object') for (const k of Object.keys(map)) names.add(k);
    }
  }
  names.delete(DEFAULT_ENVIRONMENT);
  return [...names].sort();
}

/**
 * Turns a service definition and an environment name into the secrets to resolve.
 * An environment the service does not know but settings `environments:` lists gives a warning and falls back to
 * the default names (DESIGN.md); one that nothing knows is a usage error (a typo must not silently start the
 * server with another environment's credentials).
 * @param environment `--env` value or OCI_VAULT_ENVIRONMENT; undefined or `default` means the default names
 * @param options.declared the settings-level `environments:` list (resolver.yaml)
 * @throws UsageError (exit 2) for an environment neither the service nor settings know, naming the known ones and
 *   the closest match; ConfigError (exit 2) when a reference is malformed or pins both a version and a stage
 */
export function selectEnvironment(
  service: ServiceDefinition,
  environment: string | undefined,
  options: { declared?: readonly string[] } = {},
): ServiceSelection {
  const warnings: string[] = [];
  let env = environment && environment !== DEFAULT_ENVIRONMENT ? environment : DEFAULT_ENVIRONMENT;
  const known = knownEnvironments(service);
  if (env !== DEFAULT_ENVIRONMENT && !known.includes(env)) {
    const declared = options.declared ?? [];
    if (!declared.includes(env)) throw unknownEnvironment(service, env, [...new Set([...known, ...declared])].sort());
    warnings.push(
      `service '${service.name}' has no environment '${env}'` +
        (known.length ? ` (known: ${known.join(', ')})` : '') +
        '; using the default secret names',
    );
    env = DEFAULT_ENVIRONMENT;
  }
  const specs = Object.entries(service.secrets).map(([envVar, decl]) => specFor(service, envVar, decl, env));
  return { environment: env, specs, overrides: { ...service.env_overrides }, warnings };
}

/**
 * The usage error for an environment nobody declares: the known names and, when one is close (edit distance at most
 * a third of the name, at least 2), a "did you mean".
 */
export function unknownEnvironment(service: ServiceDefinition, env: string, known: readonly string[]): UsageError {
  const near = known.length ? closest(env, [...known]) : undefined;
  const suggest = near !== undefined && distance(env, near) <= Math.max(2, Math.floor(env.length / 3)) ? near : undefined;
  return new UsageError(
    `unknown environment '${env}' for service '${service.name}'` +
      ` (known: ${[DEFAULT_ENVIRONMENT, ...known].join(', ')})` +
      (suggest ? `; did you mean '${suggest}'?` : ''),
    suggest
      ? `--env ${suggest}`
      : 'pass one of the known environments, or list it under `environments:` in resolver.yaml to use the default secret names there',
  );
}

function specFor(service: ServiceDefinition, envVar: string, decl: string | SecretDeclaration, env: string): SecretSpec {
  const full: SecretDeclaration = typeof decl === 'string' ? { secret_name: decl } : decl;
  const text = (env !== DEFAULT_ENVIRONMENT && full.environment?.[env]) || full.secret_name;
  let ref: SecretRef;
  try {
    ref = parseSecretRef(text);
  } catch (err) {
    throw new ConfigError(`secrets.${envVar}: ${(err as Error).message}`, { file: service.origin, hint: (err as ConfigError).hint });
  }
  const version = pick(full.version, env);
  const stage = pick<Stage>(full.stage, env);
  if (version !== undefined || stage !== undefined) {
    if (ref.versionNumber !== undefined || ref.stage !== undefined || (version !== undefined && stage !== undefined)) {
      throw new ConfigError(`secrets.${envVar}: give one version selector (version, stage or a ?version=/?stage= qualifier), not several`, {
        file: service.origin,
      });
    }
    if (version !== undefined) ref = { ...ref, versionNumber: version };
    else ref = { ...ref, stage };
  }
  const file = full.file ? { file: { mode: full.file_mode ? parseInt(full.file_mode, 8) : 0o600, name: full.file_name ?? envVar } } : {};
  return { envVar, ref, reference: formatSecretRef(ref), required: full.required ?? true, ...file };
}

function pick<T>(value: T | Record<string, T> | undefined, env: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'object' && value !== null) {
    const map = value as Record<string, T>;
    return map[env] ?? map[DEFAULT_ENVIRONMENT];
  }
  return value;
}
