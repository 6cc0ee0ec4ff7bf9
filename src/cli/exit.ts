/**
 * Exits the process after our output is really written. In the Bun binary, process.stdout on a pipe keeps writes
 * in a native buffer that `write('', cb)` does not wait for, and process.exit() drops it: the end of an MCP
 * server's output (or of a command's JSON) could be lost (seen in ~5 % of 12 MB relays under load). end() waits.
 * @param code exit code
 * @param options.stdout whether stdout was used (touching process.stdout in Bun costs ~12 ms to create it)
 * @param options.timeoutMs how long to wait for a reader that stopped reading (default 2000)
 */
export async function flushAndExit(code: number, options: { stdout?: boolean; timeoutMs?: number } = {}): Promise<never> {
  if (options.stdout !== false) await endStream(process.stdout, options.timeoutMs ?? 2000);
  await new Promise((resolve) => process.stderr.write('', resolve));
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
    out.once('error', done);
    try {
      out.end(done);
    } catch {
      done();
    }
  });
}
