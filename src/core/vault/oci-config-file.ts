/**
 * Parses an OCI config file (INI-like: `[PROFILE]` headers, `key=value` split at the first `=` and trimmed,
 * `#`/`;` comments), as the SDK's ConfigFileReader does (reference/oci-api.md §5).
 * @returns profile name → its own keys (without the [DEFAULT] fallback; see `withDefaults`)
 */
export function parseOciConfigSections(text: string): Map<string, Record<string, string>> {
  const sections = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = {};
      sections.set(header[1]!.trim(), current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0 && current) current[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return sections;
}

/** A profile's keys with those it lacks taken from [DEFAULT], as in the SDK and CLI. */
export function withDefaults(sections: Map<string, Record<string, string>>, profile: string): Record<string, string> | undefined {
  const own = sections.get(profile);
  return own ? { ...(sections.get('DEFAULT') ?? {}), ...own } : undefined;
}
