/**
 * The Docker CLI plugin protocol, kept free of heavy imports: the docker CLI runs
 * `docker-vaultmcp docker-cli-plugin-metadata` on every `docker` call that touches the plugin, so this path must
 * answer in a few ms. Source: docker/cli `cli-plugins/manager` and `cli-plugins/metadata`
 * (see ../shared/reference/docker-plugin-and-gateway.md §1).
 */

/** The plugin name docker knows us by; must match `^[a-z][a-z0-9]*$`. */
export const PLUGIN_NAME = 'vaultmcp';

/** Docker global flags that take a value (`--context x`, `-l warn`); the `--flag=value` forms need no lookahead. */
const DOCKER_FLAGS_WITH_VALUE = new Set([
  '--config', '-c', '--context', '-H', '--host', '-l', '--log-level', '--tlscacert', '--tlscert', '--tlskey',
]);

/**
 * The metadata docker reads from stdout. `SchemaVersion` must be exactly "0.1.0" for docker CLI < 28.4.1.
 * @param version our package version
 */
export function pluginMetadata(version: string): string {
  return JSON.stringify({
    SchemaVersion: '0.1.0',
    Vendor: 'docker vaultmcp',
    Version: version,
    ShortDescription: 'Run MCP servers with credentials from OCI Vault',
    URL: 'https://github.com/docker-vaultmcp/docker-vaultmcp',
  });
}

/** True when the docker CLI started us as a plugin (it sets this variable), false when called directly. */
export function invokedByDocker(env: NodeJS.ProcessEnv): boolean {
  return typeof env.DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND === 'string' && env.DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND !== '';
}

/**
 * Turns the argv docker hands a plugin into our own argv.
 * Docker passes its full argv: `[docker global flags…] vaultmcp <args>`, `help vaultmcp [args]` for
 * `docker help vaultmcp`, or `__complete vaultmcp <args…> <word>` for shell completion. Called directly
 * (`docker-vaultmcp run github`) the argv is already ours and comes back unchanged, also when the docker
 * variables leaked into the environment of a direct call (the first word is then not the plugin name).
 * @param argv process.argv without the executable and script (i.e. `process.argv.slice(2)`)
 * @returns the arguments for our CLI, e.g. `['run', 'github']`; `['__complete', …]` for completion
 */
export function normalizeArgv(argv: readonly string[]): string[] {
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    if (arg === PLUGIN_NAME) return argv.slice(i + 1);
    if (arg === 'help' && argv[i + 1] === PLUGIN_NAME) return [...argv.slice(i + 2), '--help'];
    if (arg === '__complete' && argv[i + 1] === PLUGIN_NAME) return ['__complete', ...argv.slice(i + 2)];
    if (!arg.startsWith('-') || arg === '-' || arg === '--') break; // not docker's shape: take it as ours
    i += DOCKER_FLAGS_WITH_VALUE.has(arg) ? 2 : 1; // `--context x`; `--context=x`, `-D`, `--tls` are one word
  }
  return [...argv];
}

/**
 * Docker-style spellings that oclif does not know, rewritten for the first word only (so nothing after a
 * command, e.g. a server's own `-h` after `run github --`, is touched):
 * `help [cmd…]` → `cmd… --help`, `-h` → `--help`, `version` / `-v` → `--version`.
 * @param argv our arguments (after normalizeArgv for docker calls)
 */
export function rewriteAliases(argv: readonly string[]): string[] {
  const [first, ...rest] = argv;
  if (first === 'help') return [...rest, '--help'];
  if (first === '-h') return ['--help', ...rest];
  if (first === 'version' || first === '-v') return ['--version', ...rest];
  return [...argv];
}

/**
 * Connects to the socket docker opens for its plugin (`DOCKER_CLI_PLUGIN_SOCKET`); when docker receives
 * SIGINT/SIGTERM while its stdout is not a TTY (the MCP-client case) it closes this socket instead of signalling
 * us, so EOF here means "cancel". The socket is unref'd and never keeps the process alive.
 * @param env process environment
 * @param onCancel called once when docker closes the socket
 * @returns the watching socket (its `close` event ends the watch), or undefined without the variable
 */
export function watchDockerSocket(env: NodeJS.ProcessEnv, onCancel: () => void): import('node:net').Socket | undefined {
  const name = env.DOCKER_CLI_PLUGIN_SOCKET;
  if (!name) return undefined;
  const path = name.startsWith('@') ? `\0${name.slice(1)}` : name;
  let fired = false;
  const fire = () => {
    if (fired) return;
    fired = true;
    onCancel();
  };
  try {
    // Loaded here, not at the top: importing node:net costs ~10 ms of the metadata probe's budget.
    const net = process.getBuiltinModule('node:net') as typeof import('node:net');
    const socket = net.connect({ path });
    socket.on('error', () => {}); // no socket (e.g. `docker help`) is not an error
    socket.on('connect', () => {
      socket.on('end', fire);
      socket.on('close', fire);
    });
    socket.on('data', () => {});
    socket.unref();
    return socket;
  } catch {
    // ignore: running without the socket only loses docker's cancel signal
    return undefined;
  }
}
