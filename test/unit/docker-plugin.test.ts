/**
 * The Docker CLI plugin protocol, without spawning anything: metadata JSON, docker's argv → ours, the
 * docker-style aliases (completion: test/unit/completion.test.ts). The same behaviour through the real docker CLI is in
 * test/e2e/plugin.test.ts.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import {
  PLUGIN_NAME,
  invokedByDocker,
  normalizeArgv,
  pluginMetadata,
  rewriteAliases,
  watchDockerSocket,
} from '../../src/docker-plugin.js';

describe('pluginMetadata', () => {
  it('is the JSON docker 28.2 accepts', () => {
    const meta = JSON.parse(pluginMetadata('1.2.3'));
    assert.equal(meta.SchemaVersion, '0.1.0'); // exactly: docker < 28.4.1 rejects anything else
    assert.equal(meta.Version, '1.2.3');
    assert.ok(meta.Vendor.length > 0, 'Vendor is mandatory');
    assert.ok(meta.ShortDescription.length > 0 && meta.ShortDescription.length < 80);
    assert.equal(meta.Hidden, undefined);
  });

  it('uses a plugin name docker accepts', () => {
    assert.match(PLUGIN_NAME, /^[a-z][a-z0-9]*$/);
  });
});

describe('invokedByDocker', () => {
  it('is true only when docker set DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND', () => {
    assert.equal(invokedByDocker({ DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: 'docker' }), true);
    assert.equal(invokedByDocker({ DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: '' }), false);
    assert.equal(invokedByDocker({}), false);
  });
});

describe('normalizeArgv', () => {
  const cases: Array<[string, string[], string[]]> = [
    ['plain', ['vaultmcp', 'run', 'github'], ['run', 'github']],
    ['no arguments', ['vaultmcp'], []],
    ['--help passed through', ['vaultmcp', '--help'], ['--help']],
    ['--version passed through', ['vaultmcp', '--version'], ['--version']],
    ['--log-level value', ['--log-level', 'warn', 'vaultmcp', 'doctor'], ['doctor']],
    ['-l value', ['-l', 'info', 'vaultmcp', 'doctor'], ['doctor']],
    ['--context value', ['--context', 'default', 'vaultmcp', 'secret', 'list'], ['secret', 'list']],
    ['-c value', ['-c', 'default', 'vaultmcp', 'x'], ['x']],
    ['--config value', ['--config', '/tmp/dc', 'vaultmcp', 'x'], ['x']],
    ['-H value', ['-H', 'unix:///x.sock', 'vaultmcp', 'x'], ['x']],
    ['--host value', ['--host', 'tcp://h:2376', 'vaultmcp', 'x'], ['x']],
    ['tls files', ['--tlscacert', 'a', '--tlscert', 'b', '--tlskey', 'c', '--tlsverify', 'vaultmcp', 'x'], ['x']],
    ['boolean flags', ['--debug', '-D', '--tls', 'vaultmcp', 'x'], ['x']],
    ['--flag=value forms', ['--log-level=debug', '--context=default', '--config=/x', 'vaultmcp', 'x'], ['x']],
    ['flag value equal to the plugin name', ['--context', 'vaultmcp', 'vaultmcp', 'doctor'], ['doctor']],
    ['several flags', ['-D', '-l', 'warn', '--context', 'default', 'vaultmcp', 'run', 'a'], ['run', 'a']],
    ['our own flags after the name stay', ['vaultmcp', 'run', 'github', '--env', 'production'], ['run', 'github', '--env', 'production']],
    ['the name again later stays', ['vaultmcp', 'run', 'vaultmcp'], ['run', 'vaultmcp']],
    ['server args after -- stay', ['vaultmcp', 'run', 'x', '--', '-l', 'vaultmcp'], ['run', 'x', '--', '-l', 'vaultmcp']],
    ['docker help vaultmcp', ['help', 'vaultmcp'], ['--help']],
    ['docker help vaultmcp run', ['help', 'vaultmcp', 'run'], ['run', '--help']],
    ['docker --debug help vaultmcp', ['--debug', 'help', 'vaultmcp'], ['--help']],
    ['completion', ['__complete', 'vaultmcp', 'secret', ''], ['__complete', 'secret', '']],
    // A direct call with docker's variables leaked into the environment (e.g. a child of `run`): untouched.
    ['direct: command first', ['secret', 'list'], ['secret', 'list']],
    ['direct: --version', ['--version'], ['--version']],
    ['direct: help', ['help'], ['help']],
    ['direct: empty', [], []],
    ['direct: lone dash', ['-', 'x'], ['-', 'x']],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assert.deepEqual(normalizeArgv(input), expected));
  }

  it('does not modify its input', () => {
    const input = Object.freeze(['-l', 'warn', 'vaultmcp', 'x']);
    normalizeArgv(input);
    assert.deepEqual(input, ['-l', 'warn', 'vaultmcp', 'x']);
  });
});

describe('rewriteAliases', () => {
  const cases: Array<[string[], string[]]> = [
    [['help'], ['--help']],
    [['help', 'secret', 'get'], ['secret', 'get', '--help']],
    [['-h'], ['--help']],
    [['version'], ['--version']],
    [['-v'], ['--version']],
    [[], []],
    [['run', 'github', '-h'], ['run', 'github', '-h']], // only the first word
    [['run', 'x', '--', 'help'], ['run', 'x', '--', 'help']],
    [['secret', 'version'], ['secret', 'version']],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => assert.deepEqual(rewriteAliases(input), expected));
  }
});

/** Resolves when the socket has closed (events.once would reject on the 'error' a refused connect emits first). */
const closeOf = (socket: net.Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));

describe('watchDockerSocket', { skip: process.platform !== 'linux' && 'abstract sockets are Linux-only' }, () => {
  it('calls onCancel once when docker closes the plugin socket', async () => {
    const name = `docker_cli_test_${process.pid}_${Date.now()}`;
    const server = net.createServer();
    const connected = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen({ path: `\0${name}` }, resolve));
    try {
      let calls = 0;
      const watcher = watchDockerSocket({ DOCKER_CLI_PLUGIN_SOCKET: `@${name}` }, () => calls++);
      assert.ok(watcher);
      const closed = closeOf(watcher);
      const conn = await connected;
      conn.end(); // what docker does on SIGINT/SIGTERM without a TTY
      await closed; // both 'end' and 'close' have fired by now
      assert.equal(calls, 1);
    } finally {
      server.close();
    }
  });

  it('is a no-op without the variable or when nobody listens', async () => {
    let calls = 0;
    assert.equal(watchDockerSocket({}, () => calls++), undefined);
    const watcher = watchDockerSocket({ DOCKER_CLI_PLUGIN_SOCKET: `@docker_cli_nobody_${process.pid}` }, () => calls++);
    assert.ok(watcher);
    await closeOf(watcher); // the failed connect is over
    assert.equal(calls, 0);
  });
});
