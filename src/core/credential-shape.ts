/**
 * Does a name look like a credential? A token pasted where a secret name, a reference or an environment variable
 * name belongs would otherwise be echoed in errors, `run --test` and `service show`, and sent in a request URL
 * (`?secretName=ghp_…`). Names that match are refused before any request and never echoed.
 *
 * Shapes (prefixes from the issuers' documentation of their token formats):
 * - GitHub `ghp_ gho_ ghu_ ghs_ ghr_ github_pat_`, GitLab `glpat- gldt- glrt- glptt-`, Slack `xoxa- xoxb- xoxp- xoxr-
 *   xoxs- xoxe- xapp-`, OpenAI/Anthropic-style `sk-…` (20+ characters after it), Stripe `sk_live_ rk_live_ pk_live_`,
 *   npm `npm_`, PyPI `pypi-`, AWS access key ids `AKIA`/`ASIA` + 16, Google API keys `AIza` + 35;
 * - a JSON Web Token (`eyJ….eyJ….`);
 * - a private key block (`-----BEGIN`);
 * - a high-entropy string: 24+ characters of one token-like run with upper case, lower case and digits mixed,
 *   more than 4.0 bits of entropy per character, and class changes as frequent as in random text (human-chosen
 *   names like `github-token-prod` or `AzureOpenAIKeyForProd2` stay below);
 * - a long hex string (32+ hex digits with letters and digits: keys, not names).
 * OCIDs (`ocid1.…`) are identifiers, not credentials, and are never matched.
 */

/** Known token prefixes and the issuer named in messages. Order does not matter. */
const PREFIXES: ReadonlyArray<[RegExp, string]> = [
  [/^gh[pousr]_[A-Za-z0-9]{20,}/, 'a GitHub token'],
  [/^github_pat_[A-Za-z0-9_]{20,}/, 'a GitHub token'],
  [/^gl(pat|dt|rt|ptt)-[A-Za-z0-9_-]{16,}/, 'a GitLab token'],
  [/^xox[abposre]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/^xapp-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/^sk-[A-Za-z0-9_-]{20,}/, 'an API key (sk-…)'],
  [/^(sk|rk|pk)_(live|test)_[A-Za-z0-9]{16,}/, 'a Stripe key'],
  [/^npm_[A-Za-z0-9]{30,}/, 'an npm token'],
  [/^pypi-[A-Za-z0-9_-]{30,}/, 'a PyPI token'],
  [/^(AKIA|ASIA)[A-Z0-9]{16}$/, 'an AWS access key id'],
  [/^AIza[A-Za-z0-9_-]{35}$/, 'a Google API key'],
  [/^eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\./, 'a JSON Web Token'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
];

/** Minimum length of a run judged by entropy alone. */
const ENTROPY_MIN_LENGTH = 24;
/** Bits per character above which a mixed-case alphanumeric run is taken for a generated token. */
const ENTROPY_BITS = 4.0;
/** Share of adjacent characters of different classes (lower/upper/digit/other) below which a run reads as words. */
const MIN_CLASS_SWITCHES = 0.45;

/**
 * Why `text` looks like a credential rather than a name, or undefined when it does not.
 * @param text a secret name, reference, environment variable name or NAME argument (any string)
 * @returns e.g. `a GitHub token`, `a high-entropy string`; never the text itself
 */
export function credentialShape(text: string): string | undefined {
  const s = text.trim();
  if (s.length < 16) return undefined;
  for (const [re, what] of PREFIXES) if (re.test(s)) return what;
  // judge each part of a structured reference on its own; OCIDs are identifiers
  for (const part of s.split(/[/?&=]+/)) {
    if (part.startsWith('ocid1.') || part === 'oci-vault:') continue;
    for (const [re, what] of PREFIXES) if (re.test(part)) return what;
    for (const run of part.match(/[A-Za-z0-9+_-]{24,}/g) ?? []) {
      if (highEntropy(run)) return 'a high-entropy string';
    }
    if (/^[0-9a-fA-F]{32,}$/.test(part) && /[0-9]/.test(part) && /[a-fA-F]/.test(part)) return 'a long hex string (a key or token)';
  }
  return undefined;
}

/**
 * True for a run that mixes upper case, lower case and digits with high per-character entropy and switches between
 * those classes as often as random text does (about 6 in 10 characters); `CamelCaseWords2024` switches far less.
 */
function highEntropy(run: string): boolean {
  if (run.length < ENTROPY_MIN_LENGTH) return false;
  if (!/[a-z]/.test(run) || !/[A-Z]/.test(run) || !/[0-9]/.test(run)) return false;
  const cls = (c: string) => (c >= 'a' && c <= 'z' ? 0 : c >= 'A' && c <= 'Z' ? 1 : c >= '0' && c <= '9' ? 2 : 3);
  let switches = 0;
  for (let i = 1; i < run.length; i++) if (cls(run[i]!) !== cls(run[i - 1]!)) switches++;
  if (switches / (run.length - 1) < MIN_CLASS_SWITCHES) return false;
  const counts = new Map<string, number>();
  for (const c of run) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / run.length;
    bits -= p * Math.log2(p);
  }
  return bits > ENTROPY_BITS;
}

/**
 * The message for a refused name: says what it looked like and where, never the name.
 * @param where e.g. `the secret name of GITHUB_TOKEN`, `the NAME argument`
 */
export function credentialRefusal(where: string, shape: string): string {
  return `${where} looks like ${shape}, not a name: refused before any request and not shown (a credential pasted in the wrong place?)`;
}
