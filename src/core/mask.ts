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
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    const b64 = Buffer.from(s, 'utf8').toString('base64');
    out = out.split(s).join(maskSecret(s)).split(b64).join(maskSecret(s));
  }
  return out;
}
