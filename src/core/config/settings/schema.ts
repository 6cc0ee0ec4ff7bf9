import * as z from 'zod/mini';
import './zod-locale.js';

/**
 * The resolver.yaml schema (snake_case keys as in the prior prototype). Every section is optional in a file;
 * defaults fill the rest after all sources are merged. Unknown keys are errors (typos must not be ignored).
 * Written in zod's tree-shakable `zod/mini` API: same library, same checks, issues and messages as the classic
 * `z.object({...}).strict()` chain (test/unit/settings.test.ts compares them), which costs ~25 ms more to load
 * and run once on `run`'s start-up path (bench/RESULTS.md). `./zod-locale.js` installs classic zod's English messages.
 */
const ocid = (kind: string) =>
  z.string().check(z.regex(new RegExp(`^ocid1\\.${kind}\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[A-Za-z0-9._-]+$`), `must be an OCID of the form ocid1.${kind}.oc1..…`));

export const AUTH_METHODS = ['api_key', 'session_token', 'instance_principal', 'resource_principal'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const vaultSchema = z.strictObject({
  region: z.optional(z.string().check(z.regex(/^[a-z]+(-[a-z0-9]+)+-\d+$/, 'must be an OCI region identifier such as eu-frankfurt-1'))),
  vault_id: z.optional(ocid('vault')),
  compartment_id: z.optional(z.union([ocid('compartment'), ocid('tenancy')])),
  key_id: z.optional(ocid('key')),
  endpoint: z.optional(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:9443' })),
});

export const authSchema = z.strictObject({
  method: z.optional(z.enum(AUTH_METHODS)),
  config_file: z.optional(z.string().check(z.minLength(1))),
  profile: z.optional(z.string().check(z.minLength(1))),
});

/** A whole number in [min, max] (classic zod's `z.number().int().min(min).max(max)`). */
const wholeNumber = (min: number, max?: number) =>
  z.number().check(z.int(), z.minimum(min), ...(max === undefined ? [] : [z.maximum(max)]));

export const cacheSchema = z.strictObject({
  enabled: z.optional(z.boolean()),
  dir: z.optional(z.string().check(z.minLength(1))),
  /** seconds an entry is fresh (served without a vault call) */
  ttl: z.optional(wholeNumber(0)),
  /** seconds an entry may be served when the vault is unreachable or failing transiently */
  max_stale: z.optional(wholeNumber(0)),
});

export const resilienceSchema = z.strictObject({
  timeout_ms: z.optional(wholeNumber(50, 600_000)),
  retries: z.optional(wholeNumber(0, 10)),
  breaker_threshold: z.optional(wholeNumber(1, 1000)),
  breaker_reset_ms: z.optional(wholeNumber(100, 3_600_000)),
  concurrency: z.optional(wholeNumber(1, 64)),
});

// --- leak guard, secret files, audit (docs/leak-guard.md) ---
export const LEAK_GUARD_SETTING = ['redact', 'block', 'off'] as const;

export const auditSchema = z.strictObject({
  /** true: `<state dir>/audit.jsonl`; a path: that file; false: no file */
  file: z.optional(z.union([z.boolean(), z.string().check(z.minLength(1))])),
  /** also send each record to syslog/journald (through `logger`) */
  syslog: z.optional(z.boolean()),
  /** rotate the file when it would grow past this many bytes */
  max_bytes: z.optional(wholeNumber(4096, 1024 * 1024 * 1024)),
  /** rotated files kept (audit.jsonl.1 … .N) */
  keep: z.optional(wholeNumber(0, 100)),
});

export const settingsFileSchema = z.strictObject({
  version: z.optional(z.union([z.string(), z.number()])),
  vault: z.optional(vaultSchema),
  auth: z.optional(authSchema),
  cache: z.optional(cacheSchema),
  resilience: z.optional(resilienceSchema),
  /** default leak guard of every service (a service's `leak_guard` and `run --leak-guard` override it) */
  leak_guard: z.optional(z.enum(LEAK_GUARD_SETTING)),
  /** allow `file: true` secrets on a disk-backed directory when no memory-backed one exists */
  allow_disk_files: z.optional(z.boolean()),
  audit: z.optional(auditSchema),
});

export type SettingsFile = z.infer<typeof settingsFileSchema>;

/** Fully resolved settings (defaults applied, paths absolute). Times in seconds or ms as the key says. */
export interface Settings {
  vault: { region?: string; vault_id?: string; compartment_id?: string; key_id?: string; endpoint?: string };
  auth: { method: AuthMethod; config_file: string; profile: string };
  cache: { enabled: boolean; dir: string; ttl: number; max_stale: number };
  resilience: {
    timeout_ms: number;
    retries: number;
    breaker_threshold: number;
    breaker_reset_ms: number;
    concurrency: number;
  };
  // Always set by loadSettings; optional for settings built in code (tests, setup), which mean the defaults:
  // leak_guard 'redact', allow_disk_files false, no audit.
  leak_guard?: (typeof LEAK_GUARD_SETTING)[number];
  allow_disk_files?: boolean;
  /** `file`: absolute path of the audit file, or false; max_bytes in bytes */
  audit?: { file: string | false; syslog: boolean; max_bytes: number; keep: number };
}
