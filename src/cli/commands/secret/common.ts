/**
 * What the `secret` commands share: scope flags, settings loading, the refusal of values in argv, output helpers
 * (JSON, aligned tables), the y/N confirmation. Kept light: heavy modules (OCI SDK, MCP SDK) are imported by the
 * commands inside run().
 */
import { Flags } from '@oclif/core';
import type { AppContext } from '../../../core/context.js';
import { ConfigError, UsageError, VaultMcpError } from '../../../core/errors.js';
import { COMPARTMENT_OCID, VAULT_OCID } from '../../../core/vault/refs.js';
import type { Settings } from '../../../core/config/settings/index.js';
import { loadCommandSettings } from '../../output.js';

/** `--vault-id`, `--compartment-id`, `--key-id`: override settings vault.vault_id / compartment_id / key_id. */
export const scopeFlags = {
  'vault-id': Flags.string({ description: 'vault OCID (default: settings vault.vault_id)', helpValue: 'OCID' }),
  'compartment-id': Flags.string({ description: 'compartment OCID (default: settings vault.compartment_id)', helpValue: 'OCID' }),
};


/**
 * Settings plus the Vault management client for the scope flags (`--vault-id`, `--compartment-id`, checked as
 * OCIDs first). The secret-admin module (and with it the OCI SDK) is imported only here, inside run().
 */
export async function openSecretAdmin(
  ctx: AppContext,
  flags: { config?: string; 'vault-id'?: string; 'compartment-id'?: string },
  extraScope: { keyId?: string } = {},
  target?: string,
): Promise<{ settings: Settings; admin: SecretAdmin; module: typeof import('../../../app/secrets/index.js') }> {
  const scope = {
    vaultId: checkOcidFlag('vault-id', flags['vault-id'], VAULT_OCID),
    compartmentId: checkOcidFlag('compartment-id', flags['compartment-id'], COMPARTMENT_OCID),
    ...extraScope,
  };
  const settings = await loadCommandSettings(ctx, flags.config);
  requireConfiguredVault(settings, scope, target);
  const module = await import('../../../app/secrets/index.js');
  return { settings, admin: await module.createSecretAdmin(settings, ctx, scope), module };
}

/**
 * Fails early, before any OCI client is built, when no vault is configured at all (no vault.vault_id and no
 * vault.compartment_id from any source) and the command needs one: a first run without `setup` must say that,
 * not complain about the OCI config file.
 * @param target the secret argument; an OCID or oci-vault:// reference names its vault itself
 * @throws ConfigError (exit 2)
 */
function requireConfiguredVault(
  settings: Settings,
  scope: { vaultId?: string; compartmentId?: string },
  target?: string,
): void {
  if (scope.vaultId || scope.compartmentId || settings.vault.vault_id || settings.vault.compartment_id) return;
  if (target !== undefined && /^(ocid1\.|oci-vault:\/\/)/i.test(target)) return;
  throw new ConfigError('no vault is configured: vault.vault_id and vault.compartment_id are not set', {
    hint: 'run `docker vaultmcp setup`, pass --config FILE or --vault-id OCID --compartment-id OCID, or set OCI_VAULT_ID and OCI_VAULT_COMPARTMENT_ID',
  });
}
type SecretAdmin = Awaited<ReturnType<typeof import('../../../app/secrets/index.js').createSecretAdmin>>;

/** OCID flag values are checked before use (a typo must not become a confusing 404). */
export function checkOcidFlag(flag: string, value: string | undefined, kind: RegExp): string | undefined {
  if (value === undefined) return undefined;
  if (!kind.test(value)) {
    const type = /ocid1\\\.\(?([a-z]+)/.exec(kind.source)?.[1] ?? 'resource';
    throw new UsageError(`--${flag} is not a valid ${type} OCID`, `expected ocid1.${type}.oc1.…, as shown in the OCI console`);
  }
  return value;
}

/**
 * Refuses anything after NAME on the command line without repeating it: it may be a secret value, which must
 * never be passed in argv (visible in process lists and kept in shell history).
 * @param extra the positional arguments after NAME
 * @throws UsageError (exit 2); the message never contains the argument
 */
export function refuseValueInArgv(extra: readonly string[], command: string): void {
  if (extra.length === 0) return;
  const flagLike = extra.filter((a) => /^--?[A-Za-z][A-Za-z0-9-]*(=|$)/.test(a)).map((a) => a.split('=')[0]!);
  if (flagLike.length === extra.length) {
    throw new UsageError(`unknown flag${flagLike.length > 1 ? 's' : ''} ${flagLike.join(', ')}`, `see docker vaultmcp ${command} --help`);
  }
  throw new UsageError(
    `unexpected argument after the secret name (not shown): secret values are never accepted on the command line, ` +
      `where process lists and shell history would expose them`,
    `pipe the value on stdin (e.g. \`pbpaste | docker vaultmcp ${command} NAME\`), pass --from-file FILE, or run without it ` +
      `in a terminal to be prompted; if that was a real secret, it may be in your shell history now: consider rotating it`,
  );
}


/** Formats rows as aligned columns (first row = header); empty cells show as `-`. */
export function formatTable(rows: ReadonlyArray<ReadonlyArray<string | number | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined || c === '' ? '-' : String(c))));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]?.length ?? 0)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

/** A date for tables: `2026-11-24 04:21` (UTC), or undefined. */
export function shortTime(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ') + 'Z';
}

/**
 * Asks a y/N question on stderr and reads one line from stdin; only when both are terminals. Ctrl-C, SIGTERM and
 * SIGHUP end the question with the terminal restored (readline puts it in raw mode) and exit 128+N.
 * @param nothingDone what to say was not done, e.g. "nothing was deleted"
 * @returns true for y/yes (any case)
 * @throws VaultMcpError exit 130 (Ctrl-C), 143 (SIGTERM), 129 (SIGHUP)
 */
export async function confirm(ctx: AppContext, question: string, nothingDone = 'nothing was changed'): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: ctx.stdin, output: ctx.stderr, terminal: true });
  const signals = [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const;
  const handlers: Array<[NodeJS.Signals, () => void]> = [];
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      const interrupt = (what: string, exitCode: number) => {
        ctx.stderr.write('\n');
        reject(new VaultMcpError(`${what}; ${nothingDone}`, { exitCode }));
      };
      rl.question(`${question} [y/N] `).then(resolve, () => resolve(''));
      rl.once('close', () => resolve(''));
      rl.once('SIGINT', () => interrupt('aborted', 130));
      for (const [signal, code] of signals) {
        const handler = () => interrupt(`interrupted by ${signal}`, code);
        handlers.push([signal, handler]);
        process.once(signal, handler);
      }
    });
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    rl.close();
  }
}

/** True when a y/N question can be asked (stdin and stderr are terminals). */
export function canConfirm(ctx: AppContext): boolean {
  return !!ctx.stdin.isTTY && !!ctx.stderr.isTTY;
}
