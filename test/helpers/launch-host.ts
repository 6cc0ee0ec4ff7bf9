/**
 * A process that launches an MCP server the way `run` does (launch() with our own stdio and signals), so a test
 * can kill it (SIGKILL: no handler of ours runs) and check what survives.
 *
 *   node --import tsx test/helpers/launch-host.ts STOP_TIMEOUT_MS STDIN_GRACE_MS COMMAND [ARGS…]
 * LAUNCH_HOST_WATCHDOG=0 starts it without the watchdog.
 */
const [stopTimeout, stdinGrace, ...command] = process.argv.slice(2);
const { launch } = await import('../../src/core/launcher/launch.js');
const result = await launch({
  command,
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  cwd: process.cwd(),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: 'inherit',
  stopTimeoutMs: Number(stopTimeout),
  stdinGraceMs: Number(stdinGrace),
  watchdog: process.env.LAUNCH_HOST_WATCHDOG !== '0',
});
process.exitCode = result.exitCode;
