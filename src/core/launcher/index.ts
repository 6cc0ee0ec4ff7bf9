/**
 * The launcher: starts an MCP server with an explicit environment, stays between it and the client on stdio
 * (line-framed stream filters on its stdout), forwards signals and passes its exit code through.
 */
export { buildChildEnv, DEFAULT_PASSTHROUGH, type ChildEnv, type ChildEnvInput } from './env.js';
export { EXIT_NOT_EXECUTABLE, resolveExecutable } from './executable.js';
export { DEFAULT_MAX_MESSAGE_BYTES, LineFilterStream, type MessageFilter } from './filters.js';
export {
  DEFAULT_STOP_TIMEOUT_MS,
  exitCodeOf,
  FORWARDED_SIGNALS,
  launch,
  type ForwardedSignal,
  type LaunchEvent,
  type LaunchOptions,
  type LaunchResult,
  type SignalSource,
} from './launch.js';
export { createRunDirectory, INHERIT_CWD, lookupDirectory, serverWorkdir, type RunDirectory, type ServerWorkdir } from './workdir.js';
export { startWatchdog, type Watchdog } from './watchdog.js';
