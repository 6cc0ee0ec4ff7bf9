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

export const AUTH_METHODS = ['api_key', 'session_token', 'instance_principal', 'resource_principal', 'oke_workload_identity'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const vaultSchema = z.strictObject({
  region: z.optional(z.string().check(z.regex(/^[a-z]+(-[a-z0-9]+)+-\d+$/, 'must be an OCI region identifier such as eu-frankfurt-1'))),
  vault_id: z.optional(ocid('vault')),
  compartment_id: z.optional(z.union([ocid('compartment'), ocid('tenancy')])),
  key_id: z.optional(ocid('key')),
  endpoint: z.optional(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:9443' })),
});

/** A non-empty string without NUL characters (paths and names handed to the OS, which would refuse or cut them). */
const osString = () => z.string().check(z.minLength(1), z.refine((v) => !v.includes('\0'), 'must not contain a NUL character'));

export const authSchema = z.strictObject({
  method: z.optional(z.enum(AUTH_METHODS)),
  config_file: z.optional(osString()),
  profile: z.optional(osString()),
  /**
   * Where principals get their session token: instance_principal's X.509 federation endpoint (default
   * `https://auth.<region>.<realm domain>`; some realms and private endpoints need another), or
   * oke_workload_identity's proxymux (default `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT_PROXYMUX`).
   */
  federation_endpoint: z.optional(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://auth.us-ashburn-1.oraclecloud.com' })),
  /** oke_workload_identity: the pod's service-account token, re-read on every token refresh (Kubernetes rotates it) */
  oke_token_file: z.optional(osString()),
  /** oke_workload_identity: the CA that signs the proxymux's TLS certificate */
  oke_ca_file: z.optional(osString()),
});

/** A whole number in [min, max] (classic zod's `z.number().int().min(min).max(max)`). */
const wholeNumber = (min: number, max?: number) =>
  z.number().check(z.int(), z.minimum(min), ...(max === undefined ? [] : [z.maximum(max)]));

export const cacheSchema = z.strictObject({
  enabled: z.optional(z.boolean()),
  dir: z.optional(osString()),
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
  /** ms after which one resolution stops waiting for the vault: stale copies are served, else the run fails */
  deadline_ms: z.optional(wholeNumber(100, 3_600_000)),
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
  /** Environment names `--env` accepts besides those the service declares (they use the default secret names). */
  environments: z.optional(z.array(z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be an environment name (letters, digits, ".", "_", "-")')))),
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
  auth: {
    method: AuthMethod;
    config_file: string;
    profile: string;
    /** no trailing slash; unset = the SDK's / environment's default */
    federation_endpoint?: string;
    /** absolute; default /var/run/secrets/kubernetes.io/serviceaccount/token */
    oke_token_file?: string;
    /** absolute; default /var/run/secrets/kubernetes.io/serviceaccount/ca.crt */
    oke_ca_file?: string;
  };
  cache: { enabled: boolean; dir: string; ttl: number; max_stale: number };
  resilience: {
    timeout_ms: number;
    retries: number;
    breaker_threshold: number;
    breaker_reset_ms: number;
    concurrency: number;
    /** overall ms one resolution may wait for the vault (all secrets, all retries); default 8000 */
    deadline_ms: number;
  };
  /** Settings-level environment names (`environments:`), besides those of each service. */
  environments?: string[];
  // Always set by loadSettings; optional for settings built in code (tests, setup), which mean the defaults:
  // leak_guard 'redact', allow_disk_files false, no audit.
  leak_guard?: (typeof LEAK_GUARD_SETTING)[number];
  allow_disk_files?: boolean;
  /** `file`: absolute path of the audit file, or false; max_bytes in bytes */
  audit?: { file: string | false; syslog: boolean; max_bytes: number; keep: number };
}
