/** What `run` was asked to do (flags already parsed, by oclif or the fast path: cli/run-flags.ts). */
export interface RunRequest {
  /** Service name or path to a service file. */
  service: string;
  /** `--env`; undefined → OCI_VAULT_ENVIRONMENT → default names. */
  env?: string;
  /** `--config FILE`. */
  config?: string;
  test: boolean;
  json: boolean;
  verbose: boolean;
  offline: boolean;
  refresh: boolean;
  /** `--cwd`: the server's working directory (a path or `inherit`); default the service's `cwd`, else private. */
  cwd?: string;
  /**
   * `--watch`: keep the server on the secrets' CURRENT versions (app/run/watch.ts). `intervalS` is `--interval`
   * (default: the service's `watch.interval`, else 300); `strict` is `--watch-strict`.
   */
  watch?: { intervalS?: number; strict?: boolean };
  /** `--stop-timeout` in ms: SIGTERM → SIGKILL of the server's process group; default 10 000. */
  stopTimeoutMs?: number;
  /** Arguments after `--`, verbatim; appended to target_command. */
  extraArgs: string[];
  /** `run -- COMMAND [ARGS…]` without a service file: the command (then `service` is '' and extraArgs empty). */
  command?: string[];
  /** `--secret VAR=REF`, repeatable (only with `command`). */
  secrets?: string[];
  /** `--env-file FILE` (only with `command`): dotenv; reference values are resolved, others passed literally. */
  envFile?: string;
  /** `--leak-guard redact|block|off`: overrides the service's and the settings' leak_guard (checked by runService). */
  leakGuard?: string;
  /** `--secret-file VAR=REF` (repeatable), as typed: the secret REF as a private file whose path is VAR (checked by planRun). */
  secretFiles?: string[];
}
