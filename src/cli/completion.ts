/**
 * Shell completion beyond command names: flags (with their descriptions), service names, the environments of the
 * service on the line, secret names, stages, files where a flag takes a path. One engine answers both docker's
 * `__complete` protocol (cobra's: docker runs `docker-vaultmcp __complete vaultmcp WORDS… CURRENT` and relays our
 * stdout to the shell; docker/cli cli-plugins/manager/cobra.go) and the scripts `docker-vaultmcp completion
 * bash|zsh|fish` prints for the binary called directly.
 *
 * Secret names come from the encrypted cache's metadata (each entry's reference, decrypted in memory); values are
 * never part of any answer, and completion never calls the vault (a slow or hung vault must not stall a Tab).
 */
import type { AppContext } from '../core/context.js';

/** cobra's ShellCompDirective bits (spf13/cobra completions.go). */
export const Directive = { Default: 0, NoSpace: 2, NoFileComp: 4 } as const;

/** One candidate: the word and an optional description (shown by zsh and fish). */
export interface Candidate {
  value: string;
  description?: string;
}

/** A completion answer: candidates plus the cobra directive for the shell. */
export interface Completion {
  candidates: Candidate[];
  directive: number;
}

/** The parts of an oclif command class completion reads. */
interface CommandShape {
  flags?: Record<string, FlagShape>;
  baseFlags?: Record<string, FlagShape>;
  args?: Record<string, unknown>;
}
interface FlagShape {
  type: 'boolean' | 'option';
  char?: string;
  description?: string;
  multiple?: boolean;
  hidden?: boolean;
}

/** Where the values of a flag or positional argument come from. */
type ValueSource = 'service' | 'environment' | 'secret' | 'stage' | 'file' | 'directory' | 'none';

const FLAG_VALUES: Record<string, ValueSource> = {
  env: 'environment',
  service: 'service',
  verify: 'service',
  stage: 'stage',
  config: 'file',
  'from-file': 'file',
  'state-dir': 'directory',
  cwd: 'directory',
  seed: 'file',
};
const ARG_VALUES: Record<string, ValueSource> = { service: 'service', secret: 'secret', name: 'secret' };

/** Data completion may look up; each is called only when the position needs it. */
export interface CompletionSources {
  services(): Promise<Array<{ name: string; description?: string }>>;
  environments(service: string, configFile?: string): Promise<string[]>;
  secretNames(configFile?: string): Promise<string[]>;
}

/**
 * Completes the last word of `words` (it may be empty).
 * @param words what follows `__complete` (docker's plugin name already removed): the typed words, then the word
 *   being completed
 * @param commands the command table (`secret:get` → command class)
 * @param sources services, environments and secret names (tests pass fakes; the CLI passes {@link processSources})
 */
export async function complete(words: readonly string[], commands: Readonly<Record<string, unknown>>, sources: CompletionSources): Promise<Completion> {
  const current = words.at(-1) ?? '';
  const typed = words.slice(0, -1);
  const ids = Object.keys(commands);
  // the longest command id the typed words start with
  let id: string | undefined;
  for (const candidate of ids) {
    const parts = candidate.split(':');
    if (parts.length <= typed.length && parts.every((p, i) => typed[i] === p) && (!id || parts.length > id.split(':').length)) id = candidate;
  }
  if (!id) return commandNames(ids, typed, current);
  const command = commands[id] as CommandShape;
  const flags: Record<string, FlagShape> = { ...(command.baseFlags ?? {}), ...(command.flags ?? {}) };
  const rest = typed.slice(id.split(':').length);
  if (rest.includes('--')) return { candidates: [], directive: Directive.Default }; // the MCP server's own arguments

  // walk the words after the command: flags, their values, positionals
  const used = new Set<string>();
  const positionals: string[] = [];
  let config: string | undefined;
  let pending: string | undefined; // a flag waiting for its value
  for (const word of rest) {
    if (pending) {
      if (pending === 'config') config = word;
      pending = undefined;
      continue;
    }
    const flag = flagOf(word, flags);
    if (flag) {
      used.add(flag.name);
      if (flag.spec.type === 'option' && !word.includes('=')) pending = flag.name;
      else if (flag.name === 'config') config = word.slice(word.indexOf('=') + 1);
      continue;
    }
    positionals.push(word);
  }
  const service = positionals[0];

  if (pending) return valuesFor(FLAG_VALUES[pending] ?? 'none', current, service, config, sources);
  if (current.startsWith('-')) {
    const eq = current.indexOf('=');
    if (eq > 0) {
      const flag = flagOf(current.slice(0, eq), flags);
      if (!flag) return { candidates: [], directive: Directive.NoFileComp };
      const values = await valuesFor(FLAG_VALUES[flag.name] ?? 'none', current.slice(eq + 1), service, config, sources);
      return { ...values, candidates: values.candidates.map((c) => ({ ...c, value: `${current.slice(0, eq + 1)}${c.value}` })) };
    }
    const candidates = Object.entries(flags)
      .filter(([name, spec]) => !spec.hidden && (spec.multiple || !used.has(name)) && `--${name}`.startsWith(current))
      .map(([name, spec]) => ({ value: `--${name}`, description: spec.description }))
      .sort((a, b) => a.value.localeCompare(b.value));
    return { candidates, directive: Directive.NoFileComp };
  }
  const argNames = Object.keys(command.args ?? {});
  const argName = argNames[positionals.length];
  if (argName === undefined) return { candidates: [], directive: Directive.NoFileComp };
  return valuesFor(ARG_VALUES[argName] ?? 'none', current, service, config, sources);
}

/** `--name`, `--name=value` or `-c` of one of `flags`. */
function flagOf(word: string, flags: Record<string, FlagShape>): { name: string; spec: FlagShape } | undefined {
  if (word.startsWith('--')) {
    const name = word.slice(2).split('=')[0]!;
    return flags[name] ? { name, spec: flags[name] } : undefined;
  }
  if (/^-[A-Za-z]$/.test(word)) {
    const entry = Object.entries(flags).find(([, spec]) => spec.char === word[1]);
    return entry ? { name: entry[0], spec: entry[1] } : undefined;
  }
  return undefined;
}

async function valuesFor(source: ValueSource, current: string, service: string | undefined, config: string | undefined, sources: CompletionSources): Promise<Completion> {
  const words = async (): Promise<Candidate[]> => {
    switch (source) {
      case 'service':
        return (await sources.services()).map((s) => ({ value: s.name, description: s.description }));
      case 'environment':
        return service ? (await sources.environments(service, config)).map((value) => ({ value })) : [];
      case 'secret':
        return (await sources.secretNames(config)).map((value) => ({ value }));
      case 'stage':
        return ['CURRENT', 'PENDING', 'PREVIOUS', 'LATEST', 'DEPRECATED'].map((value) => ({ value }));
      default:
        return [];
    }
  };
  if (source === 'file' || source === 'directory') return { candidates: [], directive: Directive.Default };
  const all = await words().catch(() => [] as Candidate[]);
  const lower = current.toLowerCase();
  const candidates = all.filter((c) => (source === 'stage' ? c.value.toLowerCase() : c.value).startsWith(source === 'stage' ? lower : current));
  return { candidates, directive: Directive.NoFileComp };
}

function commandNames(ids: readonly string[], typed: readonly string[], current: string): Completion {
  const out = new Set<string>();
  for (const id of ids) {
    const parts = id.split(':');
    if (parts.length <= typed.length) continue;
    if (typed.every((w, i) => parts[i] === w) && parts[typed.length]!.startsWith(current)) out.add(parts[typed.length]!);
  }
  const candidates = [...out].sort().map((value) => ({ value }));
  return { candidates, directive: candidates.length ? Directive.NoFileComp : Directive.Default };
}

/**
 * cobra's wire format: one `value\tdescription` line per candidate (descriptions on one line, tabs removed), then
 * `:<directive>`.
 */
export function formatCompletion(c: Completion): string {
  const lines = c.candidates.map((x) => (x.description ? `${x.value}\t${x.description.replace(/\s+/g, ' ').trim()}` : x.value));
  return [...lines, `:${c.directive}`].join('\n') + '\n';
}

/**
 * The real sources for this process: service definitions (user, system, built-in), their environments plus
 * settings `environments:`, and secret names from the cache's entries (their references; the cache key comes from
 * VAULTMCP_CACHE_KEY or the OS keychain, as for `run`). Anything that fails gives no candidates, never an error.
 */
export function processSources(ctx: AppContext): CompletionSources {
  const settingsFor = async (configFile?: string) => (await import('../core/config/settings/index.js')).loadSettings(ctx, { configFile });
  return {
    async services() {
      const { listServices } = await import('../core/config/services/index.js');
      return (await listServices(ctx)).filter((s) => !s.shadowedBy && !s.error).map((s) => ({ name: s.name, description: s.description }));
    },
    async environments(service, configFile) {
      const { loadService, knownEnvironments } = await import('../core/config/services/index.js');
      const [def, declared] = await Promise.all([
        loadService(service, ctx),
        settingsFor(configFile).then((l) => l.settings.environments ?? [], () => [] as string[]),
      ]);
      return [...new Set(['default', ...knownEnvironments(def), ...declared])];
    },
    async secretNames(configFile) {
      const { settings } = await settingsFor(configFile);
      const { openSecretCacheDetailed } = await import('../core/cache/secret-cache.js');
      const { parseSecretRef } = await import('../core/vault/refs.js');
      const opened = await openSecretCacheDetailed(settings, ctx);
      if (!opened.cache) return [];
      const names = new Set<string>();
      for (const entry of await opened.cache.entries({ names: true })) {
        if (!entry.reference) continue;
        try {
          // only bare names: they are what `secret get NAME` looks up (in vault.vault_id)
          const ref = parseSecretRef(entry.reference);
          if (ref.kind === 'name') names.add(ref.name);
        } catch {
          /* not a reference we can name */
        }
      }
      return [...names].sort();
    },
  };
}
