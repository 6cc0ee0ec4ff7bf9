import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../../core/context.js';
import { ConfigError, UsageError } from '../../core/errors.js';
import { expandPath } from '../../core/config/paths.js';
import type { ServiceDefinition } from '../../core/config/services/index.js';

/**
 * `run [--secret VAR=REF]… [--env-file FILE] -- COMMAND [ARGS…]` (like `op run` / `doppler run`): the command line
 * becomes an in-memory service definition, so it is planned, resolved (cache, all-or-nothing), and launched by the
 * same code as a service file.
 */

/** True for values that are references to resolve rather than literal values: `oci-vault://…`, `ocid1.vaultsecret…`, `vault:NAME`. */
export function isSecretReference(value: string): boolean {
  const v = value.trim();
  return v.startsWith('oci-vault://') || v.startsWith('ocid1.vaultsecret.') || /^vault:[^\s]+$/.test(v);
}

/** A reference as the resolver takes it: `vault:NAME` is NAME in the configured vault; others unchanged. */
export function normaliseReference(value: string): string {
  const v = value.trim();
  return v.startsWith('vault:') ? v.slice('vault:'.length) : v;
}

/**
 * Parses `VAR=REF` assignments (of `--secret`, `--env-override`).
 * @param flag for messages, e.g. `--secret`
 * @returns VAR → value, in the given order
 * @throws UsageError (2) for a missing `=`, a bad variable name, an empty value or a repeated variable
 */
export function parseAssignments(list: readonly string[], flag: string, options: { allowEmpty?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    const name = eq > 0 ? item.slice(0, eq) : '';
    const value = eq > 0 ? item.slice(eq + 1) : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UsageError(`${flag} needs VAR=VALUE with a variable name before '='`, `e.g. ${flag} GITHUB_PERSONAL_ACCESS_TOKEN=github-token`);
    }
    if (value === '' && !options.allowEmpty) throw new UsageError(`${flag} ${name}= has no value`, `e.g. ${flag} ${name}=github-token`);
    if (Object.hasOwn(out, name)) throw new UsageError(`${flag} ${name} is given twice`, 'give each variable once');
    out[name] = value;
  }
  return out;
}

/**
 * Builds the service definition of an ad-hoc run.
 * @param options.command argv of the program (the first word is looked up on PATH like target_command)
 * @param options.secrets `VAR=REF` items; REF is any reference form (name, OCID, oci-vault:// URL, `vault:NAME`)
 * @param options.envFile dotenv file (dotenv 18's parser): reference values become secrets, others plain variables;
 *   a `--secret` for the same variable wins
 * @returns a definition named after the program; like a service's, its working directory is a private empty one
 *   (an MCP client may start it inside a project whose node_modules must not pick the code that gets the secrets);
 *   `--cwd DIR|inherit` chooses
 * @throws UsageError (2) bad assignments or a missing env file; ConfigError (2) an unreadable env file or an
 *   invalid reference (naming the variable)
 */
export async function adhocService(
  ctx: Pick<AppContext, 'cwd' | 'homeDir'>,
  options: { command: readonly string[]; secrets?: readonly string[]; envFile?: string },
): Promise<ServiceDefinition> {
  if (options.command.length === 0 || options.command[0] === '') throw new UsageError('no command after --', 'e.g. docker vaultmcp run --secret TOKEN=my-token -- npx -y some-mcp-server');
  const secrets: Record<string, string> = {};
  const overrides: Record<string, string> = {};
  let origin = 'command line';
  if (options.envFile) {
    const file = expandPath(options.envFile, ctx);
    origin = file;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new UsageError(`env file not found: ${file}`, 'check the --env-file path');
      throw new ConfigError(`cannot read the env file (${code})`, { file, hint: 'check its permissions' });
    }
    const { parse } = await import('dotenv');
    for (const [name, value] of Object.entries(parse(text))) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ConfigError(`'${name}' is not a valid variable name`, { file, hint: 'use letters, digits and _' });
      if (isSecretReference(value)) secrets[name] = normaliseReference(value);
      else overrides[name] = value;
    }
  }
  for (const [name, ref] of Object.entries(parseAssignments(options.secrets ?? [], '--secret'))) {
    secrets[name] = normaliseReference(ref);
    delete overrides[name];
  }
  const { parseSecretRef } = await import('../../core/vault/refs.js');
  for (const [name, ref] of Object.entries(secrets)) {
    try {
      parseSecretRef(ref);
    } catch (err) {
      throw new UsageError(`${name}: ${(err as Error).message}`, 'a reference is a secret name, an OCID, oci-vault://VAULT_OR_COMPARTMENT/NAME or vault:NAME');
    }
  }
  return {
    name: path.basename(options.command[0]!),
    origin,
    source: 'path',
    secrets,
    target_command: [...options.command],
    env_overrides: overrides,
    passthrough_env: [],
    environments: [],
  };
}
