import { z } from 'zod';

/**
 * The resolver.yaml schema (snake_case keys as in the prior prototype). Every section is optional in a file;
 * defaults fill the rest after all sources are merged. Unknown keys are errors (typos must not be ignored).
 */
const ocid = (kind: string) =>
  z.string().regex(new RegExp(`^ocid1\\.${kind}\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[A-Za-z0-9._-]+$`), `must be an OCID of the form ocid1.${kind}.oc1..…`);

export const AUTH_METHODS = ['api_key', 'session_token', 'instance_principal', 'resource_principal'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const vaultSchema = z
  .object({
    region: z.string().regex(/^[a-z]+(-[a-z0-9]+)+-\d+$/, 'must be an OCI region identifier such as eu-frankfurt-1').optional(),
    vault_id: ocid('vault').optional(),
    compartment_id: z.union([ocid('compartment'), ocid('tenancy')]).optional(),
    key_id: ocid('key').optional(),
    endpoint: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:9443' })
      .optional(),
  })
  .strict();

export const authSchema = z
  .object({
    method: z.enum(AUTH_METHODS).optional(),
    config_file: z.string().min(1).optional(),
    profile: z.string().min(1).optional(),
  })
  .strict();

export const cacheSchema = z
  .object({
    enabled: z.boolean().optional(),
    dir: z.string().min(1).optional(),
    /** seconds an entry is fresh (served without a vault call) */
    ttl: z.number().int().min(0).optional(),
    /** seconds an entry may be served when the vault is unreachable or failing transiently */
    max_stale: z.number().int().min(0).optional(),
  })
  .strict();

export const resilienceSchema = z
  .object({
    timeout_ms: z.number().int().min(50).max(600_000).optional(),
    retries: z.number().int().min(0).max(10).optional(),
    breaker_threshold: z.number().int().min(1).max(1000).optional(),
    breaker_reset_ms: z.number().int().min(100).max(3_600_000).optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
  })
  .strict();

export const settingsFileSchema = z
  .object({
    version: z.union([z.string(), z.number()]).optional(),
    vault: vaultSchema.optional(),
    auth: authSchema.optional(),
    cache: cacheSchema.optional(),
    resilience: resilienceSchema.optional(),
  })
  .strict();

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
}
