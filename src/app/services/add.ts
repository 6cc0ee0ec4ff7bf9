import path from 'node:path';
import { pathExists, writeFileAtomic } from '../../core/atomic-file.js';
import type { AppContext } from '../../core/context.js';
import { UsageError } from '../../core/errors.js';
import { parseServiceText, serviceDirs, type ServiceFile } from '../../core/config/services/index.js';
import { normaliseReference, parseAssignments } from '../run/adhoc.js';

/** What `service add` wrote. */
export interface AddedService {
  name: string;
  file: string;
  /** The definition as written. */
  definition: ServiceFile;
  /** True when an existing file was replaced (`--force`). */
  replaced: boolean;
}

/**
 * `service add NAME [--secret VAR=REF]… [--env-override K=V]… [--description D] -- COMMAND [ARGS…]`: writes the user
 * service definition `~/.config/oci-vault-mcp/services/NAME.json` (validated like any service file), so `run NAME`
 * and `client connect CLIENT NAME` can use it. A definition of that name in the user directory (any extension) is
 * only replaced with `force`.
 * @throws UsageError (2) bad name, assignments or references, no command, an existing definition without `force`
 */
export async function addService(
  ctx: Pick<AppContext, 'env' | 'homeDir' | 'cwd'>,
  options: { name: string; command: readonly string[]; secrets?: readonly string[]; envOverrides?: readonly string[]; description?: string; force?: boolean },
): Promise<AddedService> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(options.name) || /\.(json|ya?ml)$/.test(options.name)) {
    throw new UsageError(`invalid service name '${options.name}'`, 'a service name uses letters, digits, ".", "_" and "-" (no extension)');
  }
  if (options.command.length === 0) throw new UsageError('no command after --', `e.g. docker vaultmcp service add ${options.name} --secret TOKEN=my-token -- npx -y some-mcp-server`);
  const secrets = Object.fromEntries(Object.entries(parseAssignments(options.secrets ?? [], '--secret')).map(([k, v]) => [k, normaliseReference(v)]));
  const overrides = parseAssignments(options.envOverrides ?? [], '--env-override', { allowEmpty: true });
  for (const name of Object.keys(overrides)) {
    if (Object.hasOwn(secrets, name)) throw new UsageError(`${name} is both a --secret and an --env-override`, 'give it once');
  }
  const { parseSecretRef } = await import('../../core/vault/refs.js');
  for (const [name, ref] of Object.entries(secrets)) {
    try {
      parseSecretRef(ref);
    } catch (err) {
      throw new UsageError(`--secret ${name}: ${(err as Error).message}`, 'a reference is a secret name, an OCID, oci-vault://VAULT_OR_COMPARTMENT/NAME or vault:NAME');
    }
  }
  const dir = serviceDirs(ctx)[0]!.dir;
  const file = path.join(dir, `${options.name}.json`);
  let replaced = false;
  for (const ext of ['.json', '.yaml', '.yml']) {
    const existing = path.join(dir, options.name + ext);
    if (!(await pathExists(existing))) continue;
    if (!options.force) throw new UsageError(`service '${options.name}' already exists: ${existing}`, 'pick another name, or replace it with --force');
    if (ext !== '.json') throw new UsageError(`service '${options.name}' is defined in ${existing}`, 'edit that file, or remove it first');
    replaced = true;
  }
  const definition = {
    ...(options.description ? { description: options.description } : {}),
    secrets,
    target_command: [...options.command],
    ...(Object.keys(overrides).length > 0 ? { env_overrides: overrides } : {}),
  };
  const text = JSON.stringify(definition, null, 2) + '\n';
  parseServiceText(text, file); // the same validation as when it is loaded
  await writeFileAtomic(file, text, { mode: 0o644 });
  return { name: options.name, file, definition: definition as ServiceFile, replaced };
}

