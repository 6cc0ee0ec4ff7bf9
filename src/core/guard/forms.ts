/**
 * The forms in which an injected secret value can leave the MCP server: the bytes themselves and the encodings a
 * program applies without thinking (JSON string escaping, base64 in its standard and URL-safe alphabets with and
 * without padding at each of the three byte alignments, URL percent-encoding, hex in both cases).
 *
 * Every form is given as a "byte string": a JS string whose char codes are bytes (0–255, i.e. latin1), so one
 * matcher serves raw byte streams (stderr, unparsable lines; decode them with `buffer.toString('latin1')`).
 * Decoded JSON string values are matched against {@link textForms} instead (the same forms, as JS text).
 *
 * Base64 forms keep only the characters whose 6 bits come entirely from the value, so a value embedded anywhere in
 * a larger base64 blob (at byte offset ≡ 0, 1 or 2 mod 3) is still found, and both the padded and the unpadded
 * encoding of the value alone contain the form (RFC 4648 §4, §5: each character carries 6 consecutive bits).
 */

/** Which encoding a form is. Reported in guard events (never the form's text). */
export type LeakForm = 'raw' | 'json-escaped' | 'base64' | 'base64url' | 'url-encoded' | 'hex' | 'HEX';

/** One searchable form of one value. */
export interface EncodedForm {
  form: LeakForm;
  /** The pattern (byte string for {@link byteForms}, JS text for {@link textForms}); never shown. */
  pattern: string;
}

/** Values shorter than this many bytes (UTF-8) are not guarded: they would redact common words. */
export const MIN_GUARDED_BYTES = 6;

/**
 * The base64 characters of `value` placed at byte offset `align` (0, 1, 2) of a larger stream whose bits come
 * only from `value` (characters that straddle a neighbouring byte are dropped).
 * @param alphabet 'base64' (RFC 4648 §4) or 'base64url' (§5)
 */
export function base64Core(value: Buffer, align: 0 | 1 | 2, alphabet: 'base64' | 'base64url'): string {
  const encoded = Buffer.concat([Buffer.alloc(align), value]).toString(alphabet).replace(/=+$/, '');
  const firstBit = 8 * align;
  const endBit = 8 * (align + value.length);
  let start = Math.ceil(firstBit / 6);
  const end = Math.floor(endBit / 6); // chars [start, end) lie wholly inside the value's bits
  if (end <= start) start = end;
  return encoded.slice(start, end);
}

function uniqueForms(forms: EncodedForm[]): EncodedForm[] {
  const seen = new Set<string>();
  return forms.filter((f) => f.pattern.length > 0 && !seen.has(f.pattern) && seen.add(f.pattern));
}

function encodedTextForms(bytes: Buffer, text: string): EncodedForm[] {
  const forms: EncodedForm[] = [];
  for (const align of [0, 1, 2] as const) {
    forms.push({ form: 'base64', pattern: base64Core(bytes, align, 'base64') });
    forms.push({ form: 'base64url', pattern: base64Core(bytes, align, 'base64url') });
  }
  const url = encodeURIComponent(text);
  forms.push({ form: 'url-encoded', pattern: url });
  forms.push({ form: 'url-encoded', pattern: url.replace(/%20/g, '+') }); // application/x-www-form-urlencoded
  forms.push({ form: 'url-encoded', pattern: url.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()) });
  forms.push({ form: 'hex', pattern: bytes.toString('hex') });
  forms.push({ form: 'HEX', pattern: bytes.toString('hex').toUpperCase() });
  return forms;
}

/**
 * The forms of `value` as JS text, for matching decoded JSON string values (escaping is gone there).
 * @returns unique forms, raw first; encodings that equal the raw text are left out
 */
export function textForms(value: string): EncodedForm[] {
  const bytes = Buffer.from(value, 'utf8');
  return uniqueForms([{ form: 'raw', pattern: value }, ...encodedTextForms(bytes, value)]);
}

/**
 * The forms of `value` as byte strings (latin1), for matching raw bytes: the UTF-8 bytes, the JSON-escaped
 * bytes (JSON.stringify's escaping, the all-ASCII `\uXXXX` variant, and `\/`), and the encodings of
 * {@link textForms}.
 */
export function byteForms(value: string): EncodedForm[] {
  const bytes = Buffer.from(value, 'utf8');
  const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
  const json = JSON.stringify(value).slice(1, -1);
  const asciiJson = json.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  const forms: EncodedForm[] = [
    { form: 'raw', pattern: bytes.toString('latin1') },
    { form: 'json-escaped', pattern: latin1(json) },
    { form: 'json-escaped', pattern: asciiJson },
    { form: 'json-escaped', pattern: asciiJson.replace(/\\u([0-9a-f]{4})/g, (_m, h: string) => '\\u' + h.toUpperCase()) },
    { form: 'json-escaped', pattern: latin1(json.replace(/\//g, '\\/')) },
    ...encodedTextForms(bytes, value),
  ];
  return uniqueForms(forms);
}

/** Longest byte form of `value` (bytes); the stderr redactor holds back one less across chunk boundaries. */
export function longestByteForm(value: string): number {
  return Math.max(0, ...byteForms(value).map((f) => f.pattern.length));
}

/** The UTF-8 length of `value` (what {@link MIN_GUARDED_BYTES} compares against). */
export function byteLength(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}
