/**
 * Exits the process after our output is really written. In the Bun binary, process.stdout on a pipe keeps writes
 * in a native buffer that `write('', cb)` does not wait for, and process.exit() drops it: the end of an MCP
 * server's output (or of a command's JSON) could be lost (seen in ~5 % of 12 MB relays under load). end() waits.
 * The same holds for stderr: a warning written just before the exit (a leak guard finding in the last message)
 * could be lost, so a stderr that was used is ended too.
 * @param code exit code
 * @param options.stdout whether stdout was used (touching process.stdout in Bun costs ~12 ms to create it)
 * @param options.stderr whether stderr was used (default true)
 * @param options.timeoutMs how long to wait for a reader that stopped reading (default 2000)
 */
export async function flushAndExit(code: number, options: { stdout?: boolean; stderr?: boolean; timeoutMs?: number } = {}): Promise<never> {
  if (options.stdout !== false) await endStream(process.stdout, options.timeoutMs ?? 2000);
  if (options.stderr !== false) await endStream(process.stderr, options.timeoutMs ?? 2000);
  process.exit(code);
}

function endStream(out: NodeJS.WriteStream, timeoutMs: number): Promise<void> {
  if (out.destroyed || out.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    // a write that still comes after the end (a late callback) must not become an uncaught error on our way out
    out.on('error', done);
    try {
      out.end(done);
    } catch {
      done();
    }
  });
}
