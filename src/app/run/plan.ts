import type { AppContext } from '../../core/context.js';
import { UsageError } from '../../core/errors.js';
import type { LoadedSettings, Settings } from '../../core/config/settings/index.js';
import type { ServiceDefinition, ServiceSelection } from '../../core/config/services/index.js';
import type { LoadedLaunchConfig, OnSettings, SnapshotAccess } from './launch-config.js';

/**
 * What a launch of a service will be, before any secret is read: the settings, the service definition and its
 * environment, the command, the server's working directory and environment (without secrets), and the executable
 * that command resolves to there. `run`, `run --test`, doctor and `secret rotate --verify` all plan with this one
 * function, so they agree on which file would run where.
 */
export interface RunPlan {
  settings: Settings;
  /** The environment name from settings (OCI_VAULT_ENVIRONMENT), when no `--env` was given. */
  settingsEnvironment?: string;
  service: ServiceDefinition;
  selection: ServiceSelection;
  /** target_command plus the extra arguments. */
  command: string[];
  /**
   * The server's working directory as the service or `--cwd` names it; by default (`workdirFresh`) the private base
   * directory in which each launch gets a new empty directory of its own (createRunDirectory), removed after it.
   */
  workdir: string;
  /** True when each launch runs in a new empty private directory inside `workdir`. */
  workdirFresh: boolean;
  /** The server's environment without secrets (allowlisted parent variables, passthrough_env, env_overrides). */
  baseEnv: Record<string, string>;
  /** Where each variable of `baseEnv` came from (names only, for `--verbose`). */
  baseOrigins: Record<string, EnvOrigin>;
  /** The executable `command[0]` resolves to on `baseEnv.PATH` in `workdir`, or why it does not. */
  executable: string | Error;
  /** Lines for stderr (environment selection; settings warnings come with `onSettings`). Never values. */
  warnings: string[];
  /** How the settings and service were obtained (launch-config.ts): from the launch snapshot, or the files. */
  config: Pick<LoadedLaunchConfig, 'fromSnapshot' | 'remember'>;
}

/**
 * Plans a launch. Settings and the service file are loaded concurrently (a settings error still wins over a service
 * error, as if loaded one after the other).
 * @param request.service name or path; `env` the `--env`; `config` the `--config FILE`; `cwd` the `--cwd`
 * @param options.settings already loaded settings (doctor, rotate --verify), instead of loading them here
 * @param options.onSettings called as soon as settings are known, before the service is (their warnings are
 *   the caller's to show; the fast path also starts the keychain read then)
 * @param options.snapshot enables the launch snapshot (launch-config.ts): `run` from the CLI passes it
 * @throws ConfigError/UsageError (exit 2) for settings or service errors; the launcher's errors for a bad `cwd`
 */
export async function planRun(
  ctx: AppContext,
  request: { service: string; env?: string; config?: string; cwd?: string; extraArgs?: readonly string[]; command?: readonly string[]; secrets?: readonly string[]; envFile?: string; secretFiles?: readonly string[] },
  options: { settings?: LoadedSettings; onSettings?: OnSettings; snapshot?: SnapshotAccess } = {},
): Promise<RunPlan> {
  // not services/index.js: on a snapshot hit nothing loads yaml or zod
  const [{ loadLaunchConfig }, { selectEnvironment }] = await Promise.all([import('./launch-config.js'), import('../../core/config/services/select.js')]);
  const config = await loadLaunchConfig(ctx, request, {
    ...options,
    // run -- COMMAND: an in-memory service definition from --secret/--env-file (adhoc.ts), planned like any other
    serviceLoader: () =>
      request.command
        ? import('./adhoc.js').then(({ adhocService }) => adhocService(ctx, { command: request.command!, secrets: request.secrets, envFile: request.envFile }))
        : request.secrets?.length || request.envFile
          ? Promise.reject(adhocOnly())
          : import('../../core/config/services/index.js').then(({ loadService }) => loadService(request.service, ctx)),
  });
  const { loaded, service } = config;
  let selection: ServiceSelection;
  try {
    selection = selectEnvironment(service, request.env ?? loaded.environment, { declared: loaded.settings.environments });
  } catch (err) {
    // the environment came from OCI_VAULT_ENVIRONMENT, not from a flag: say so, and where to fix it
    if (request.env === undefined && loaded.environment !== undefined && (err as Error).name === 'UsageError') {
      const { UsageError } = await import('../../core/errors.js');
      throw new UsageError(`${(err as Error).message} (from OCI_VAULT_ENVIRONMENT)`, 'fix or unset OCI_VAULT_ENVIRONMENT, or pass --env');
    }
    throw err;
  }
  if (request.secretFiles?.length) await addSecretFiles(selection, request.secretFiles);
  const command = [...service.target_command, ...(request.extraArgs ?? [])];

  const { buildChildEnv, lookupDirectory, resolveExecutable, serverWorkdir } = await import('../../core/launcher/index.js');
  const base = buildChildEnv({ parent: ctx.env, passthrough: service.passthrough_env, overrides: selection.overrides });
  // Not the caller's directory by default: a cloned repository's node_modules/.npmrc must not pick the server.
  const workdir = await serverWorkdir(ctx, request.cwd ?? service.cwd);
  let executable: string | Error;
  try {
    executable = resolveExecutable(command[0]!, base.env, lookupDirectory(workdir));
  } catch (err) {
    executable = err as Error;
  }
  return {
    settings: loaded.settings,
    settingsEnvironment: loaded.environment,
    service,
    selection,
    command,
    workdir: workdir.dir,
    workdirFresh: workdir.fresh,
    baseEnv: base.env,
    baseOrigins: base.origin,
    executable,
    warnings: selection.warnings,
    config: { fromSnapshot: config.fromSnapshot, ...(config.remember ? { remember: config.remember } : {}) },
  };
}

function adhocOnly(): Error {
  return new UsageError('--secret and --env-file are for `run -- COMMAND`', "declare a service's secrets in its service file (`docker vaultmcp service add`), or run the command directly: run --secret VAR=REF -- COMMAND");
}

/**
 * The server's complete environment: the plan's base environment plus the secrets (a secret replaces an
 * env_overrides entry of the same name, with a warning).
 * @returns the environment and warnings for stderr (names only)
 */
export function withSecrets(
  plan: RunPlan,
  secrets: Readonly<Record<string, string>>,
): { env: Record<string, string>; origins: Record<string, EnvOrigin>; warnings: string[] } {
  const env = { ...plan.baseEnv };
  const origins = { ...plan.baseOrigins };
  const warnings: string[] = [];
  for (const [name, value] of Object.entries(secrets)) {
    if (Object.hasOwn(plan.selection.overrides, name)) warnings.push(`env_overrides.${name} is replaced by the secret of the same name`);
    env[name] = value;
    origins[name] = 'secret';
  }
  return { env, origins, warnings };
}

/**
 * Applies `--secret-file VAR=REF`: REF's value goes into a private file whose path is VAR (replacing the service's
 * own declaration of VAR, if any).
 * @throws UsageError (exit 2) for a malformed reference
 */
async function addSecretFiles(selection: ServiceSelection, flags: readonly string[]): Promise<void> {
  const [{ formatSecretRef, parseSecretRef }, { UsageError }, { ENV_VAR_NAME }] = await Promise.all([
    import('../../core/vault/refs.js'),
    import('../../core/errors.js'),
    import('../../core/config/services/schema.js'),
  ]);
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const f = { envVar: flag.slice(0, Math.max(0, eq)), reference: flag.slice(eq + 1) };
    if (eq < 0 || !ENV_VAR_NAME.test(f.envVar) || f.reference === '') {
      throw new UsageError('--secret-file takes VAR=REF', 'e.g. --secret-file GOOGLE_APPLICATION_CREDENTIALS=gcp-service-account');
    }
    let ref;
    try {
      ref = parseSecretRef(f.reference);
    } catch (err) {
      throw new UsageError(`--secret-file ${f.envVar}: ${(err as Error).message}`, 'give VAR=REF with a secret name, OCID or oci-vault:// URL');
    }
    const spec = { envVar: f.envVar, ref, reference: formatSecretRef(ref), required: true, file: { mode: 0o600, name: f.envVar } };
    const at = selection.specs.findIndex((s) => s.envVar === f.envVar);
    if (at >= 0) selection.specs[at] = spec;
    else selection.specs.push(spec);
  }
}

/** Where a variable of the server's environment came from. */
export type EnvOrigin = 'default' | 'passthrough' | 'override' | 'secret';

