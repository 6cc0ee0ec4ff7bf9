import { BUILTIN_TEMPLATES } from '../../core/config/services/templates.js';

let known: ReadonlySet<string> | undefined;

/**
 * The secret variable names the built-in templates declare (GITHUB_PERSONAL_ACCESS_TOKEN, SLACK_BOT_TOKEN,
 * POSTGRES_URL…): besides the `*TOKEN*`/`*KEY*`/… patterns, these mark an entry's env value as a credential.
 */
export function knownSecretVars(): ReadonlySet<string> {
  return (known ??= new Set(
    Object.values(BUILTIN_TEMPLATES).flatMap((t) => Object.keys((t as { secrets?: Record<string, unknown> }).secrets ?? {})),
  ));
}
