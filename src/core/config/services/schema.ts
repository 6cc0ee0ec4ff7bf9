import * as z from 'zod/mini';
import '../settings/zod-locale.js';
import { STAGES } from '../../vault/refs.js';
import { credentialShape } from '../../credential-shape.js';

/**
 * Service definition schema (`configs/<service>.json` or `.yaml`), as in the seeds' integration guide:
 * `secrets` maps environment variable names to secret declarations; `target_command` is the MCP server's argv
 * (never containing secret values); `env_overrides` are plain, non-secret variables.
 * In zod's `zod/mini` API like settings/schema.ts (same checks and messages as the classic chain; faster start-up).
 */
export const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envName = z.string().check(
  z.regex(ENV_VAR_NAME, 'must be a valid environment variable name'),
  // a token pasted as a variable name would be printed by `run --test` and `service show`
  z.refine((name) => credentialShape(name) === undefined, 'looks like a credential, not an environment variable name (not shown)'),
);
const stage = z.enum(STAGES);

/** Full form of one secret declaration. */
const nonEmpty = () => z.string().check(z.minLength(1));
/** Strings that become argv or environment entries: C strings, so a NUL would cut them (spawn refuses them). */
const noNul = (schema: z.ZodMiniString<string>) => schema.check(z.refine((v) => !v.includes('\0'), 'must not contain a NUL character'));
/** classic `z.number().int().positive()` */
const versionNumber = () => z.number().check(z.int(), z.positive());

export const secretDeclarationSchema = z.strictObject({
  /** The default reference (name, OCID or oci-vault:// URL). */
  secret_name: nonEmpty(),
  /** Per-environment reference replacing `secret_name`, e.g. `{ "production": "github-token-prod" }`. */
  environment: z.optional(z.record(z.string(), nonEmpty())),
  /** Version number to pin: one for all environments, or per environment. */
  version: z.optional(z.union([versionNumber(), z.record(z.string(), versionNumber())])),
  /** Stage to read: one for all environments, or per environment. */
  stage: z.optional(z.union([stage, z.record(z.string(), stage)])),
  /** When false, a failure only warns and the variable is left out. Default true. */
  required: z.optional(z.boolean()),
  description: z.optional(z.string()),
  /** Materialise the value as a private in-memory file and set the variable to its path (secret-files.ts). */
  file: z.optional(z.boolean()),
  /** Octal mode of that file, owner bits only: "0600" (default) or "0400". */
  file_mode: z.optional(z.string().check(z.regex(/^0?[0-7]00$/, 'must be an octal mode with owner bits only, such as "0600" or "0400"'))),
  /** Name of that file in its private directory (default: the variable's name). */
  file_name: z.optional(z.string().check(z.regex(/^(?!\.\.?$)[A-Za-z0-9._-]{1,128}$/, 'must be a plain file name (letters, digits, . _ -)'))),
});

export const serviceFileSchema = z.strictObject({
  name: z.optional(z.string()),
  description: z.optional(z.string()),
  /** ENV_VAR → declaration, or the short form ENV_VAR → "reference". */
  secrets: z._default(z.record(envName, z.union([nonEmpty(), secretDeclarationSchema])), {}),
  /** argv of the MCP server; the first element is looked up on PATH. */
  target_command: z
    .array(noNul(nonEmpty()))
    .check(z.minLength(1, 'must name the MCP server command, e.g. ["npx", "-y", "@modelcontextprotocol/server-github"]')),
  /** Plain (non-secret) variables set for the server. */
  env_overrides: z._default(z.record(envName, noNul(z.string())), {}),
  /** Names of parent variables passed through to the server besides the default set; `PREFIX_*` matches a prefix. */
  passthrough_env: z._default(z.array(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, 'must be a variable name or PREFIX_*'))), []),
  /**
   * Working directory of the server: a path (`~/…`, absolute, or relative to where `run` is called) or `inherit`
   * (the caller's directory). Default: a private empty directory, so a project's node_modules or .npmrc cannot
   * change which code gets the secrets (src/core/launcher/workdir.ts).
   */
  cwd: z.optional(noNul(nonEmpty())),
  /**
   * Live rotation (`run --watch`): present means `run` watches this service's secrets; `interval` is the poll
   * interval in seconds (default 300, at least 5), `strict` stops the run when a new server cannot take over.
   */
  watch: z.optional(
    z.strictObject({
      interval: z.optional(z.number().check(z.int(), z.gte(5, 'must be at least 5 (seconds)'))),
      strict: z.optional(z.boolean()),
    }),
  ),
  /** Environment names this service knows (others found in `environment`/`version`/`stage` maps are added). */
  environments: z._default(z.array(nonEmpty()), []),
  /** The leak guard for this service (docs/leak-guard.md); default: the settings' `leak_guard`, else redact. */
  leak_guard: z.optional(z.enum(['redact', 'block', 'off'])),
});

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
