/**
 * Loads the OCI SDK lazily (it costs tens of ms) and makes it quiet: the SDK writes to the console on its own
 * (`console.info` on STDOUT for a config file without [DEFAULT], `console.warn` from its retrier on every failure,
 * region warnings; reference/oci-api.md §3 "Console noise"). During `run` stdout belongs to the MCP server and
 * SDK messages can carry tokens, so every console method the SDK uses is replaced with a no-op once, before
 * the SDK loads. Our own code never uses console.* (it writes to ctx.stderr / ctx.stdout).
 */
let silenced = false;

/** Replaces console.log/info/warn/debug/trace with no-ops (idempotent). */
export function silenceSdkConsole(): void {
  if (silenced) return;
  silenced = true;
  const noop = () => {};
  console.log = noop;
  console.info = noop;
  console.warn = noop;
  console.debug = noop;
  console.trace = noop;
}

/** The oci-common module, loaded once, with the SDK's default retry and circuit breaker switched off globally. */
export async function loadOciCommon(): Promise<typeof import('oci-common')> {
  silenceSdkConsole();
  const common = await import('oci-common');
  // We use our own cockatiel policy (timeout → retry → breaker); the SDK's would retry for ~90 s.
  common.CircuitBreaker.EnableGlobalCircuitBreaker = false;
  return common;
}
