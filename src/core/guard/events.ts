import type { LeakForm } from './forms.js';

/** What the leak guard reports, and its one-line description (kept apart from the matcher, so `run`'s reporter
 * does not load it). */

export type LeakDirection = 'server-to-client' | 'client-to-server' | 'stderr';

/** What the guard reports. Never a value, a part of one, or a hash of one. */
export type GuardEvent =
  | {
      type: 'leak';
      envVar: string;
      direction: LeakDirection;
      /** The JSON-RPC method of the message (of the request, for a response), when known. */
      method?: string;
      form: LeakForm;
      /** redacted: replaced; blocked: not forwarded (an error went back instead); forwarded: sent as is (client → server in redact mode) */
      action: 'redacted' | 'blocked' | 'forwarded';
    }
  /** A value too short to guard (under MIN_GUARDED_BYTES); reported once per variable when the guard is built. */
  | { type: 'unguarded'; envVar: string; minBytes: number };

/** One values-free line for stderr describing `e` (without our `vaultmcp: ` prefix). */
export function describeGuardEvent(e: GuardEvent): string {
  if (e.type === 'unguarded') {
    return `leak guard: ${e.envVar} is shorter than ${e.minBytes} bytes and is not guarded (it would redact common words)`;
  }
  const where = e.direction === 'server-to-client' ? 'server → client' : e.direction === 'client-to-server' ? 'client → server' : 'server stderr';
  const what = e.action === 'redacted' ? 'redacted' : e.action === 'blocked' ? 'blocked' : 'forwarded (leak_guard: redact; use block to stop such calls)';
  return `leak guard: ${e.envVar} (${e.form}) in ${where}${e.method ? ` ${e.method}` : ''}: ${what}`;
}
