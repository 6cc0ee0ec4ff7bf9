import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits until `condition` holds, checking every `intervalMs`, for conditions of the world outside our code (a
 * request reaching the emulator, a process gone, a terminal screen): there is no clock to inject there, so a test
 * waits for the event itself instead of sleeping a fixed time and hoping.
 * @param what the condition, for the failure message
 * @throws AssertionError-like Error after `timeoutMs` (default 10 000 ms)
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const end = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (await condition()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(options.intervalMs ?? 20);
  }
}

/** A promise with its resolve function outside, for ordering test events without timers. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Like {@link waitUntil}, for a value: waits until `find` returns something other than undefined/false and
 * returns it (the message that arrived, the line that was printed).
 */
export async function waitFor<T>(find: () => T | undefined | false, what: string, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  let found: T | undefined | false;
  await waitUntil(() => (found = find()) !== undefined && found !== false, what, options);
  return found as T;
}
