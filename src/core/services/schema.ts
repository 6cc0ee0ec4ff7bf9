import { z } from 'zod';
import { STAGES } from '../refs.js';

/**
 * Service definition schema (`configs/<service>.json` or `.yaml`), as in the seeds' integration guide:
 * `secrets` maps environment variable names to secret declarations; `target_command` is the MCP server's argv
 * (never containing secret values); `env_overrides` are plain, non-secret variables.
 */
export const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envName = z.string().regex(ENV_VAR_NAME, 'must be a valid environment variable name');
const stage = z.enum(STAGES);

/** Full form of one secret declaration. */
export const secretDeclarationSchema = z
  .object({
    /** The default reference (name, OCID or oci-vault:// URL). */
    secret_name: z.string().min(1),
    /** Per-environment reference replacing `secret_name`, e.g. `{ "production": "github-token-prod" }`. */
    environment: z.record(z.string(), z.string().min(1)).optional(),
    /** Version number to pin: one for all environments, or per environment. */
    version: z.union([z.number().int().positive(), z.record(z.string(), z.number().int().positive())]).optional(),
    /** Stage to read: one for all environments, or per environment. */
    stage: z.union([stage, z.record(z.string(), stage)]).optional(),
    /** When false, a failure only warns and the variable is left out. Default true. */
    required: z.boolean().optional(),
    description: z.string().optional(),
  })
  .strict();

export const serviceFileSchema = z
  .object({
    name: z.string().optional(),
    description: z.string().optional(),
    /** ENV_VAR → declaration, or the short form ENV_VAR → "reference". */
    secrets: z.record(envName, z.union([z.string().min(1), secretDeclarationSchema])).default({}),
    /** argv of the MCP server; the first element is looked up on PATH. */
    target_command: z.array(z.string().min(1)).min(1, 'must name the MCP server command, e.g. ["npx", "-y", "@modelcontextprotocol/server-github"]'),
    /** Plain (non-secret) variables set for the server. */
    env_overrides: z.record(envName, z.string()).default({}),
    /** Names of parent variables passed through to the server besides the default set; `PREFIX_*` matches a prefix. */
    passthrough_env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, 'must be a variable name or PREFIX_*')).default([]),
    /** Environment names this service knows (others found in `environment`/`version`/`stage` maps are added). */
    environments: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type SecretDeclaration = z.infer<typeof secretDeclarationSchema>;
export type ServiceFile = z.infer<typeof serviceFileSchema>;

/** A loaded service definition with where it came from. */
export interface ServiceDefinition extends ServiceFile {
  /** The service name (file name without extension, or the built-in template name). */
  name: string;
  /** `builtin:<name>` or the absolute path of the file. */
  origin: string;
  source: 'path' | 'user' | 'system' | 'builtin';
}
