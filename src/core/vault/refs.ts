import { credentialRefusal, credentialShape } from '../credential-shape.js';
import { ConfigError } from '../errors.js';

/**
 * Secret references: how a service definition names a secret in OCI Vault.
 *
 * Forms (DESIGN.md "Secret references"):
 *   `name`                                  a secret in the configured vault (`vault.vault_id`): GetSecretBundleByName
 *   `oci-vault://<vault-ocid>/<name>`       a secret in that vault: GetSecretBundleByName
 *   `oci-vault://<compartment-ocid>/<name>` found with ListSecrets in that compartment (all pages), then GetSecretBundle
 *   `ocid1.vaultsecret…` or `oci-vault://ocid1.vaultsecret…`   GetSecretBundle
 * Qualifiers: `?version=N` (a version number) or `?stage=CURRENT|PENDING|PREVIOUS|LATEST|DEPRECATED`.
 * Stage names: OCI Secrets API 20190301 GetSecretBundle `stage` enum (reference/oci-api.md §1).
 */
export const STAGES = ['CURRENT', 'PENDING', 'PREVIOUS', 'LATEST', 'DEPRECATED'] as const;
export type Stage = (typeof STAGES)[number];

/** Which version of a secret to read; neither field means CURRENT. */
export interface VersionSelector {
  versionNumber?: number;
  stage?: Stage;
}

export type SecretLocator =
  | { kind: 'name'; name: string }
  | { kind: 'vault'; vaultId: string; name: string }
  | { kind: 'compartment'; compartmentId: string; name: string }
  | { kind: 'ocid'; secretId: string };

export type SecretRef = SecretLocator & VersionSelector;

/** Secret name rule of the Vault API: letters, digits, `-`, `_`, `.` (reference/oci-api.md §7). */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9._-]{1,255}$/;
/** OCID shapes: `ocid1.<type>.<realm>.[region].<unique id>` (OCI "Resource Identifiers"). */
export const SECRET_OCID = /^ocid1\.vaultsecret\.[a-z0-9-]+\.[a-z0-9-]*\.[A-Za-z0-9._-]+$/;
export const VAULT_OCID = /^ocid1\.vault\.[a-z0-9-]+\.[a-z0-9-]*\.[A-Za-z0-9._-]+$/;
export const COMPARTMENT_OCID = /^ocid1\.(compartment|tenancy)\.[a-z0-9-]+\.[a-z0-9-]*\.[A-Za-z0-9._-]+$/;
export const KEY_OCID = /^ocid1\.key\.[a-z0-9-]+\.[a-z0-9-]*\.[A-Za-z0-9._-]+$/;

/**
 * Parses a reference string.
 * @param text e.g. `github-token`, `oci-vault://ocid1.vault.oc1..x/github-token?version=3`
 * @returns the parsed reference
 * @throws ConfigError when the text matches no form or has a bad qualifier
 */
export function parseSecretRef(text: string): SecretRef {
  const input = text.trim();
  const shape = credentialShape(input);
  if (shape) {
    throw new ConfigError(credentialRefusal('a secret reference', shape), {
      hint: 'put the secret name (e.g. github-token) there, and store the value with `docker vaultmcp secret upload NAME`',
    });
  }
  const bad = (why: string): never => {
    // a reference that is not even well-formed may be a value pasted where the name belongs: quoted only when it
    // clearly tries to be one of the structured forms
    const shown = /^(oci-vault:\/\/|ocid1\.)[\x21-\x7e]{0,300}$/.test(input) ? ` '${input}'` : '';
    throw new ConfigError(`invalid secret reference${shown}: ${why}`, {
      hint: 'use a secret name, an ocid1.vaultsecret… OCID, or oci-vault://<vault-or-compartment-ocid>/<name>',
    });
  };
  if (!input) bad('empty');
  const q = input.indexOf('?');
  const body = q >= 0 ? input.slice(0, q) : input;
  const selector = q >= 0 ? parseQualifiers(input.slice(q + 1), bad) : {};

  if (body.startsWith('oci-vault://')) {
    const rest = body.slice('oci-vault://'.length);
    if (SECRET_OCID.test(rest)) return { kind: 'ocid', secretId: rest, ...selector };
    const slash = rest.indexOf('/');
    if (slash < 0) bad('expected oci-vault://<vault-or-compartment-ocid>/<secret-name>');
    const scope = rest.slice(0, slash);
    const name = rest.slice(slash + 1);
    if (!SECRET_NAME_PATTERN.test(name)) bad(`secret name '${name}' may only contain letters, digits, '-', '_' and '.'`);
    if (VAULT_OCID.test(scope)) return { kind: 'vault', vaultId: scope, name, ...selector };
    if (COMPARTMENT_OCID.test(scope)) return { kind: 'compartment', compartmentId: scope, name, ...selector };
    return bad(`'${scope}' is not a vault or compartment OCID`);
  }
  if (body.startsWith('ocid1.')) {
    if (SECRET_OCID.test(body)) return { kind: 'ocid', secretId: body, ...selector };
    return bad('an OCID reference must be a secret OCID (ocid1.vaultsecret…)');
  }
  if (!SECRET_NAME_PATTERN.test(body)) bad("a secret name may only contain letters, digits, '-', '_' and '.'");
  return { kind: 'name', name: body, ...selector };
}

function parseQualifiers(query: string, bad: (why: string) => never): VersionSelector {
  const params = new URLSearchParams(query);
  const selector: VersionSelector = {};
  const seen = new Set<string>();
  for (const [key, value] of params) {
    const canonical = key === 'versionNumber' ? 'version' : key;
    if (seen.has(canonical)) bad(`'${canonical}' is given more than once`);
    seen.add(canonical);
    if (key === 'version' || key === 'versionNumber') {
      // OCI version numbers are int64; beyond 2^53 - 1 a JavaScript number cannot hold them exactly
      if (!/^[1-9]\d{0,15}$/.test(value) || !Number.isSafeInteger(Number(value))) {
        bad(`version must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}${/^[0-9]{1,40}$/.test(value) ? `, got '${value}'` : ''}`);
      }
      selector.versionNumber = Number(value);
    } else if (key === 'stage') {
      const stage = value.toUpperCase();
      if (!(STAGES as readonly string[]).includes(stage)) bad(`stage must be one of ${STAGES.join(', ')}`);
      selector.stage = stage as Stage;
    } else {
      bad(`unknown qualifier '${key}' (use version or stage)`);
    }
  }
  if (selector.versionNumber !== undefined && selector.stage !== undefined) bad('give either version or stage, not both');
  return selector;
}

/** Canonical text of a reference (stable: used in messages, `--test` output and cache keys). */
export function formatSecretRef(ref: SecretRef): string {
  let base: string;
  switch (ref.kind) {
    case 'name':
      base = ref.name;
      break;
    case 'vault':
      base = `oci-vault://${ref.vaultId}/${ref.name}`;
      break;
    case 'compartment':
      base = `oci-vault://${ref.compartmentId}/${ref.name}`;
      break;
    case 'ocid':
      base = ref.secretId;
      break;
  }
  if (ref.versionNumber !== undefined) return `${base}?version=${ref.versionNumber}`;
  if (ref.stage !== undefined) return `${base}?stage=${ref.stage}`;
  return base;
}

/** The secret name of a reference, when it has one (OCID references do not). */
export function secretNameOf(ref: SecretRef): string | undefined {
  return ref.kind === 'ocid' ? undefined : ref.name;
}
