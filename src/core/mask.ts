import { textForms } from './guard/forms.js';
import { credentialShape } from './credential-shape.js';

/**
 * Masks a secret value for display: `****` plus its length in characters; values of 16 or more characters may
 * show their first 4 (`ghp_****(40)`), which is enough to tell two tokens apart and too little to use one.
 * @param value the secret value (string or bytes)
 * @returns e.g. `****(8)` or `ghp_****(40)`; never more than 4 characters of the value
 */
export function maskSecret(value: string | Uint8Array): string {
  const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
  const length = [...text].length;
  if (length >= 16 && /^[\x21-\x7e]{4}/.test(text)) return `${text.slice(0, 4)}****(${length})`;
  return `****(${length})`;
}

/**
 * Replaces every occurrence of the given secret values (and their base64 forms) in `text` with their masks.
 * Used as a last line of defence on messages that might echo a value (e.g. an SDK or server error text).
 * @param text any message
 * @param secrets values to hide; values shorter than 4 characters are ignored (too many false hits)
 */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  // longest first: a short value that is part of a longer one must not split the longer one's match (which would
  // leave the longer value's other characters in clear around the short one's mask)
  const ordered = [...new Set(secrets)].sort((a, b) => b.length - a.length);
  for (const s of ordered) {
    if (!s || s.length < 4) continue;
    const b64 = Buffer.from(s, 'utf8').toString('base64');
    out = out.split(s).join(maskSecret(s)).split(b64).join(maskSecret(s));
  }
  return out;
}

/**
 * The forms in which a process may print a secret value without meaning to, as text: the leak guard's forms
 * (core/guard/forms.ts: raw; base64 standard and URL-safe at each of the three byte alignments, with or without
 * padding; URL-encoded; hex in both cases) plus the value JSON-escaped (a server logging JSON). One list for the
 * guard and for doctor / `rotate --verify`, which show a server's stderr.
 * @param value the secret value (UTF-8)
 * @returns distinct non-empty encodings, the raw value first
 */
export function secretEncodings(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  // the whole encodings first (with the last, partly-padding character): for display, masking them whole reads better
  // than the guard's alignment cores, which leave that character behind
  const whole = [bytes.toString('base64'), bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url')];
  const forms = [value, ...whole, ...textForms(value).map((f) => f.pattern), JSON.stringify(value).slice(1, -1)];
  return [...new Set(forms.filter((f) => f.length > 0))];
}

/**
 * Like {@link redactSecrets}, for every form of {@link secretEncodings}: what a server prints on stderr (doctor,
 * `rotate --verify`) may carry a value hex- or URL-encoded as well as raw or in base64. Each form is replaced by
 * the value's mask; longest forms first, so a shorter one never splits a longer one.
 * @param secrets values to hide; values shorter than 4 characters are ignored
 */
export function redactSecretEncodings(text: string, secrets: Iterable<string>): string {
  const forms: Array<[string, string]> = [];
  for (const s of new Set(secrets)) {
    if (!s || s.length < 4) continue;
    for (const f of secretEncodings(s)) forms.push([f, maskSecret(s)]);
  }
  forms.sort((a, b) => b[0].length - a[0].length);
  let out = text;
  for (const [form, mask] of forms) out = out.split(form).join(mask);
  return out;
}

/**
 * A key of a user's file (YAML/JSON mapping key, env var name) as it may be quoted in an error message, or
 * undefined when it could be a pasted value. A secret pasted on its own line or as a key (`ghp_…:`) becomes a
 * mapping key, and "unknown key 'ghp_…'" would print it. Keys we show look like config keys or variable names:
 * identifier characters only, at most 32 long, and not a mix of lower case, upper case and digits (which config
 * keys and env var names never are, and tokens usually are).
 */
export function displayableKey(key: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(key)) return undefined;
  if (/[a-z]/.test(key) && /[A-Z]/.test(key) && /[0-9]/.test(key)) return undefined;
  if (credentialShape(key)) return undefined; // e.g. AKIA… (upper case and digits only)
  return key;
}

/** A dotted key path for messages, each segment through {@link displayableKey} (others shown as `…`). */
export function displayableKeyPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => (typeof p === 'number' ? String(p) : (displayableKey(String(p)) ?? '…'))).join('.');
}

/**
 * "unknown key 'vault.vaultid'" for a zod `unrecognized_keys` issue, quoting only key-like keys; the others are
 * counted ("unknown key in 'vault' (not shown: it looks like a value, not a key)").
 * @param parent the displayable dotted path of the mapping holding the keys ('' at the top)
 */
export function describeUnknownKeys(parent: string, keys: readonly string[]): string {
  const shown = keys.flatMap((k) => {
    const d = displayableKey(k);
    return d === undefined ? [] : [`'${parent ? parent + '.' : ''}${d}'`];
  });
  const hidden = keys.length - shown.length;
  const plural = keys.length > 1 ? 's' : '';
  if (hidden === 0) return `unknown key${plural} ${shown.join(', ')}`;
  const where = parent ? ` in '${parent}'` : '';
  const list = shown.length > 0 ? ` ${shown.join(', ')} and ${hidden} more` : '';
  return `unknown key${plural}${list}${where} (${hidden === 1 ? 'one is' : `${hidden} are`} not shown: it looks like a pasted value, not a key)`;
}

/**
 * The first line of a YAML parser error (yaml 2.x), without the parts that quote the document: tag names, alias
 * names, escape sequences, duplicate keys and unexpected tokens are copied from the source by the parser and could
 * be a pasted secret. The position (line:column) is reported separately by the caller.
 */
export function safeYamlMessage(message: string): string {
  // the composer appends the offending source text as `: "<json>"`
  const first = (message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '').replace(/: ".*"$/, '');
  const rules: Array<[RegExp, string]> = [
    [/^(Could not resolve tag|Not a valid tag|Unresolved tag|Ordered maps must not include duplicate keys|Block scalar header includes extra characters|Expected a flow scalar value, but found|Unresolved alias \(the anchor must be set before the alias\))(?:[:\s].*)?$/, '$1'],
    [/^Invalid escape sequence\b.*$/, 'Invalid escape sequence'],
    [/^Unresolved plain scalar\b.*$/, 'Unresolved plain scalar'],
    [/^The .* tag has no suffix$/, 'A tag has no suffix'],
    [/^Verbatim tags aren't resolved\b.*$/, "Verbatim tags aren't resolved"],
    [/^Unknown directive\b.*$/, 'Unknown directive'],
    [/^Unsupported YAML version\b.*$/, 'Unsupported YAML version'],
    [/^Unexpected .* in (flow map|flow sequence|flow collection|collection)$/, 'Unexpected token in $1'],
    [/^Anchors and tags must be after the .* indicator$/, 'Anchors and tags must be after the indicator'],
    [/^.* used for (\S+) collection, but expects (\S+)$/, 'A tag used for a $1 collection expects $2'],
  ];
  for (const [re, replacement] of rules) if (re.test(first)) return first.replace(re, replacement);
  return first;
}
