import path from 'node:path';

/**
 * The MCP clients whose configuration `client connect/disconnect/list/import` edit: where each keeps its MCP
 * servers, per OS and scope, and the shape of an entry. Pure: paths are computed from the given home, environment
 * and OS (so each OS's paths are testable anywhere). Sources (checked 2026): reference/docker-gateway-2026.md
 * "MCP clients' configs", each client's documentation, Docker's own table in docker/mcp-gateway
 * `pkg/client/config.yml` (read, not copied).
 */

export const CLIENT_IDS = ['claude-desktop', 'claude-code', 'cursor', 'vscode', 'windsurf', 'codex', 'gemini-cli'] as const;
export type ClientId = (typeof CLIENT_IDS)[number];
export type ClientScope = 'user' | 'project';
/** `json`: strict JSON (comments are an error); `jsonc`: JSON with comments and trailing commas; `toml`. */
export type ConfigFormat = 'json' | 'jsonc' | 'toml';
export type ClientOs = 'linux' | 'darwin' | 'win32';

/** Where a client's files are looked for: the user's home, the environment (APPDATA, XDG_CONFIG_HOME…), the OS. */
export interface ClientPlace {
  os: ClientOs;
  homeDir: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The project directory for `--scope project` (the current directory). */
  projectDir: string;
}

/** One client's facts. */
export interface ClientSpec {
  id: ClientId;
  label: string;
  format: ConfigFormat;
  /** The key (top-level table for TOML) that maps server names to entries. */
  serversKey: 'mcpServers' | 'servers' | 'mcp_servers';
  /** True when entries carry `"type": "stdio"` (Claude Code, VS Code). */
  stdioType: boolean;
  scopes: readonly ClientScope[];
  /** The config file for a scope. */
  configFile(scope: ClientScope, place: ClientPlace): string;
  /** The directory whose existence means the client is installed (user scope). */
  installDir(place: ClientPlace): string;
}

const p = (place: ClientPlace) => (place.os === 'win32' ? path.win32 : path.posix);
/** `%APPDATA%` on Windows (default `HOME\AppData\Roaming`). */
const appData = (place: ClientPlace) => place.env.APPDATA || p(place).join(place.homeDir, 'AppData', 'Roaming');
/** The per-OS application-config directory: macOS Application Support, Windows %APPDATA%, else XDG_CONFIG_HOME. */
function appConfigDir(place: ClientPlace): string {
  if (place.os === 'darwin') return path.posix.join(place.homeDir, 'Library', 'Application Support');
  if (place.os === 'win32') return appData(place);
  return place.env.XDG_CONFIG_HOME || path.posix.join(place.homeDir, '.config');
}
const inHome = (place: ClientPlace, ...parts: string[]) => p(place).join(place.homeDir, ...parts);
const inProject = (place: ClientPlace, ...parts: string[]) => p(place).join(place.projectDir, ...parts);

export const CLIENTS: Readonly<Record<ClientId, ClientSpec>> = {
  'claude-desktop': {
    id: 'claude-desktop',
    label: 'Claude Desktop',
    format: 'json',
    serversKey: 'mcpServers',
    stdioType: false,
    scopes: ['user'],
    // No official Linux app; the community builds and Docker's tooling use ~/.config/Claude.
    configFile: (_s, place) => p(place).join(appConfigDir(place), 'Claude', 'claude_desktop_config.json'),
    installDir: (place) => p(place).join(appConfigDir(place), 'Claude'),
  },
  'claude-code': {
    id: 'claude-code',
    label: 'Claude Code',
    format: 'json',
    serversKey: 'mcpServers',
    stdioType: true,
    scopes: ['user', 'project'],
    // user scope: top-level mcpServers of ~/.claude.json (in CLAUDE_CONFIG_DIR when set); project: .mcp.json
    configFile: (scope, place) =>
      scope === 'project'
        ? inProject(place, '.mcp.json')
        : place.env.CLAUDE_CONFIG_DIR
          ? p(place).join(place.env.CLAUDE_CONFIG_DIR, '.claude.json')
          : inHome(place, '.claude.json'),
    installDir: (place) => place.env.CLAUDE_CONFIG_DIR || inHome(place, '.claude'),
  },
  cursor: {
    id: 'cursor',
    label: 'Cursor',
    format: 'json',
    serversKey: 'mcpServers',
    stdioType: false,
    scopes: ['user', 'project'],
    configFile: (scope, place) => (scope === 'project' ? inProject(place, '.cursor', 'mcp.json') : inHome(place, '.cursor', 'mcp.json')),
    installDir: (place) => inHome(place, '.cursor'),
  },
  vscode: {
    id: 'vscode',
    label: 'VS Code',
    format: 'jsonc',
    serversKey: 'servers',
    stdioType: true,
    scopes: ['user', 'project'],
    configFile: (scope, place) =>
      scope === 'project' ? inProject(place, '.vscode', 'mcp.json') : p(place).join(appConfigDir(place), 'Code', 'User', 'mcp.json'),
    installDir: (place) => p(place).join(appConfigDir(place), 'Code'),
  },
  windsurf: {
    id: 'windsurf',
    label: 'Windsurf',
    format: 'json',
    serversKey: 'mcpServers',
    stdioType: false,
    scopes: ['user'],
    configFile: (_s, place) => inHome(place, '.codeium', 'windsurf', 'mcp_config.json'),
    installDir: (place) => inHome(place, '.codeium', 'windsurf'),
  },
  codex: {
    id: 'codex',
    label: 'Codex CLI',
    format: 'toml',
    serversKey: 'mcp_servers',
    stdioType: false,
    scopes: ['user'],
    configFile: (_s, place) => p(place).join(place.env.CODEX_HOME || inHome(place, '.codex'), 'config.toml'),
    installDir: (place) => place.env.CODEX_HOME || inHome(place, '.codex'),
  },
  'gemini-cli': {
    id: 'gemini-cli',
    label: 'Gemini CLI',
    format: 'json',
    serversKey: 'mcpServers',
    stdioType: false,
    scopes: ['user', 'project'],
    configFile: (scope, place) => (scope === 'project' ? inProject(place, '.gemini', 'settings.json') : inHome(place, '.gemini', 'settings.json')),
    installDir: (place) => inHome(place, '.gemini'),
  },
};

/** True for a known client id. */
export function isClientId(id: string): id is ClientId {
  return (CLIENT_IDS as readonly string[]).includes(id);
}

/** An MCP server entry as the clients write it (stdio kind; other keys of an existing entry are kept as they are). */
export interface ServerEntry {
  type?: string;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  [key: string]: unknown;
}

/**
 * The entry that starts `service` through us.
 * @param launcher `{ kind: 'binary', path }` for the plugin binary by absolute path, or `{ kind: 'docker' }` for
 *   `docker vaultmcp run …`
 * @param runArgs what follows `run` (the service and any `--env`/`--config`)
 */
export function entryFor(client: ClientSpec, launcher: { kind: 'binary'; path: string } | { kind: 'docker' }, runArgs: readonly string[]): ServerEntry {
  const [command, args] = launcher.kind === 'binary' ? [launcher.path, ['run', ...runArgs]] : ['docker', ['vaultmcp', 'run', ...runArgs]];
  return { ...(client.stdioType ? { type: 'stdio' } : {}), command, args };
}

/** What an existing entry is, as far as we can tell from its command. */
export interface EntryKind {
  /** True when it starts a service through us (`…/docker-vaultmcp run …` or `docker vaultmcp run …`). */
  ours: boolean;
  /** The service it runs, when ours. */
  service?: string;
}

/** Classifies an entry: ours when its command is our binary with `run`, or `docker vaultmcp run`. */
export function classifyEntry(entry: ServerEntry): EntryKind {
  const command = typeof entry.command === 'string' ? entry.command : '';
  const args = Array.isArray(entry.args) ? entry.args.filter((a): a is string => typeof a === 'string') : [];
  const base = command.split(/[\\/]/).pop()!.replace(/\.exe$/i, '');
  let rest: string[] | undefined;
  if (base === 'docker-vaultmcp' && args[0] === 'run') rest = args.slice(1);
  else if (base === 'docker' && args[0] === 'vaultmcp' && args[1] === 'run') rest = args.slice(2);
  if (!rest) return { ours: false };
  const service = rest.find((a, i) => !a.startsWith('-') && !(i > 0 && /^(--env|-e|--config|--cwd)$/.test(rest[i - 1]!)));
  return { ours: true, ...(service ? { service } : {}) };
}

/** Variable names that hold credentials by convention (`*TOKEN*`, `*KEY*`, `*SECRET*`, `*PASSWORD*`, `*PAT*`…). */
const SECRET_NAME = /TOKEN|KEY|SECRET|PASSWORD|PASSWD|(^|_)PAT($|_)|CREDENTIAL|(^|_)AUTH($|_)/i;

/**
 * True when a variable of that name holds a credential: the conventional patterns, or a name one of the
 * built-in templates declares as a secret.
 */
export function isSecretVariable(name: string, knownSecretVars: ReadonlySet<string> = new Set()): boolean {
  return SECRET_NAME.test(name) || knownSecretVars.has(name);
}

/**
 * True when an `env` value is already an indirection rather than the credential: a client-side variable or input
 * (`${VAR}`, `${env:VAR}`, `${input:id}`), or one of our references (`oci-vault://…`, `ocid1.vaultsecret…`, `vault:NAME`).
 */
export function isReferenceValue(value: string): boolean {
  const v = value.trim();
  return v === '' || /^\$\{[^}]+\}$/.test(v) || /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(v) || v.startsWith('oci-vault://') || v.startsWith('ocid1.vaultsecret.') || v.startsWith('vault:');
}

/** The names of `entry.env` that hold plaintext credentials (secret-looking names whose values are not references). */
export function plaintextSecretVars(entry: ServerEntry, knownSecretVars?: ReadonlySet<string>): string[] {
  const env = entry.env && typeof entry.env === 'object' ? entry.env : {};
  return Object.entries(env)
    .filter(([k, v]) => typeof v === 'string' && isSecretVariable(k, knownSecretVars) && !isReferenceValue(v))
    .map(([k]) => k);
}
