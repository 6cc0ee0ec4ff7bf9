import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import type { BreakerChange, BreakerSnapshot } from './policy.js';

/**
 * Circuit-breaker state shared by every process on this machine. MCP clients start many short-lived launches;
 * a breaker that lives only in one process would let each new launch hammer a failing vault again. So the state
 * (per vault endpoint: consecutive failures, open-since timestamp; never anything secret) lives in a small JSON
 * file, `<cache.dir>/breaker.json`:
 *
 *   {"version":1,"breakers":{"<endpoint key>":{"state":"open","failures":5,"openedAt":1764000000000,"updatedAt":…}}}
 *
 * - A new resolver seeds its cockatiel breaker from the file (`load`), so an open breaker fails fast with no
 *   vault request (and no SDK load) until `breaker_reset_ms` has passed.
 * - Each attempt's outcome is merged into the file (`record`): failures add to the shared count (so 5 launches
 *   failing once each open a threshold-5 breaker: the file then says open), an open is written with its time, a success clears the count but
 *   never closes a breaker another process opened (only a successful half-open probe closes it).
 * - While one process probes (half-open), the file says "open until now + probe lease", so other launches keep
 *   failing fast instead of all probing at once.
 * Writes are atomic (temp file in the same directory + rename); a corrupt or unreadable file counts as closed.
 * Concurrent read-modify-write can lose an increment: acceptable for a breaker (it errs towards trying the vault).
 */
export interface BreakerStateStore {
  /** The shared snapshot for this endpoint, or undefined (closed, no failures). Never throws. */
  load(): Promise<BreakerSnapshot | undefined>;
  /** Merges one change into the file (queued; never throws). */
  record(change: BreakerChange): void;
  /** Resolves when queued writes are done (call before a short-lived process exits). */
  flush(): Promise<void>;
}

interface BreakerFileEntry extends BreakerSnapshot {
  updatedAt: number;
}
interface BreakerFile {
  version: 1;
  breakers: Record<string, BreakerFileEntry>;
}

/**
 * Opens the shared breaker state for one endpoint.
 * @param file path of breaker.json (its directory is created 0700 on first write)
 * @param key endpoint identity, e.g. `https://…` or `region:eu-frankfurt-1`
 * @param options.threshold consecutive failures that open the breaker (resilience.breaker_threshold)
 * @param options.resetMs open period, ms (resilience.breaker_reset_ms)
 * @param options.probeLeaseMs how long one half-open probe holds the others off, ms (e.g. the call's full budget)
 * @param options.now clock, ms since the epoch
 */
export function openBreakerState(
  file: string,
  key: string,
  options: { threshold: number; resetMs: number; probeLeaseMs: number; now?: () => number },
): BreakerStateStore {
  const now = options.now ?? Date.now;
  let queue: Promise<void> = Promise.resolve();

  const apply = (entry: BreakerFileEntry | undefined, change: BreakerChange): BreakerFileEntry | undefined => {
    const t = now();
    const current: BreakerFileEntry = entry ?? { state: 'closed', failures: 0, updatedAt: t };
    const isOpen = current.state === 'open' && current.openedAt !== undefined && t - current.openedAt < options.resetMs;
    switch (change.type) {
      case 'failure':
        if (isOpen) return undefined;
        if (current.state === 'open') return undefined; // expired open: the probe's outcome decides
        if (current.failures + 1 >= options.threshold) return { state: 'open', failures: current.failures + 1, openedAt: t, updatedAt: t };
        return { state: 'closed', failures: current.failures + 1, updatedAt: t };
      case 'success':
        if (current.state === 'open' || current.failures === 0) return undefined;
        return { state: 'closed', failures: 0, updatedAt: t };
      case 'open':
        return { state: 'open', failures: Math.max(current.failures, options.threshold), openedAt: change.openedAt, updatedAt: t };
      case 'half_open':
        // hold the others off for the probe's duration: open "since" so that it expires at now + lease
        return { state: 'open', failures: current.failures, openedAt: t - options.resetMs + options.probeLeaseMs, updatedAt: t };
      case 'closed':
        return { state: 'closed', failures: 0, updatedAt: t };
    }
  };

  return {
    async load() {
      const data = await readBreakerFile(file);
      const entry = data.breakers[key];
      if (!entry) return undefined;
      return { state: entry.state, failures: entry.failures, ...(entry.openedAt !== undefined ? { openedAt: entry.openedAt } : {}) };
    },
    record(change) {
      queue = queue.then(async () => {
        try {
          const data = await readBreakerFile(file);
          const updated = apply(data.breakers[key], change);
          if (!updated) return;
          data.breakers[key] = updated;
          // forget endpoints untouched for a week
          for (const [k, v] of Object.entries(data.breakers)) if (now() - v.updatedAt > 7 * 86_400_000) delete data.breakers[k];
          await writeFileAtomic(file, JSON.stringify(data) + '\n');
        } catch {
          // the shared state is an optimisation: a write failure must never fail a launch
        }
      });
    },
    flush() {
      return queue;
    },
  };
}

/** Reads breaker.json; missing, unreadable or malformed → empty (all closed). */
export async function readBreakerFile(file: string): Promise<BreakerFile> {
  try {
    const raw = JSON.parse(await readFile(file, 'utf8')) as Partial<BreakerFile>;
    if (raw?.version !== 1 || typeof raw.breakers !== 'object' || raw.breakers === null) return { version: 1, breakers: {} };
    const breakers: Record<string, BreakerFileEntry> = {};
    for (const [k, v] of Object.entries(raw.breakers)) {
      const e = v as Partial<BreakerFileEntry>;
      if ((e?.state !== 'open' && e?.state !== 'closed') || typeof e.failures !== 'number' || !Number.isFinite(e.failures)) continue;
      breakers[k] = {
        state: e.state,
        failures: Math.max(0, Math.floor(e.failures)),
        updatedAt: typeof e.updatedAt === 'number' ? e.updatedAt : 0,
        ...(typeof e.openedAt === 'number' ? { openedAt: e.openedAt } : {}),
      };
    }
    return { version: 1, breakers };
  } catch {
    return { version: 1, breakers: {} };
  }
}

