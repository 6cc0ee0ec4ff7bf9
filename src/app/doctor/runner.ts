import { isVaultMcpError } from '../../core/errors.js';
import type { CheckResult, CheckStatus } from './report.js';

/** What a check function returns; the runner adds id, title and ms. */
export interface CheckOutcome {
  status: CheckStatus;
  detail: string;
  /** One line naming the fix; '' when there is nothing to do. */
  hint?: string;
}

/**
 * A check as data: an async function plus the ids of checks whose outcome it needs (it runs after them, and is
 * skipped when one of them failed or was skipped, unless `runAfterFailure` lists it).
 */
export interface DoctorCheck {
  id: string;
  title: string;
  /** ids of checks that must finish first */
  needs?: string[];
  /** when true, run even if a needed check failed (e.g. clock skew explains an auth failure) */
  runAfterFailure?: boolean;
  /** per-check time limit in ms (default: the runner's) */
  timeoutMs?: number;
  /** the hint when the check times out (default: network and endpoint advice) */
  timeoutHint?: string;
  /** the check; `signal` fires at the time limit (pass it to vault calls / child processes) */
  run(signal: AbortSignal): Promise<CheckOutcome>;
}

export interface RunChecksOptions {
  /** default time limit per check, ms */
  timeoutMs: number;
  /** called when a check starts (UI spinners) */
  onStart?: (id: string) => void;
  /** called with each result as soon as it is known */
  onResult?: (result: CheckResult) => void;
  /** clock, ms (tests) */
  now?: () => number;
}

/**
 * Runs checks concurrently, respecting `needs` (a check starts when all it needs are done), each bounded by its
 * time limit (a check still running at the limit fails with "timed out after N ms"). A check that throws fails
 * with the error's own message when it is one of ours (VaultMcpError: message + hint), else with its class name
 * only (raw messages can carry tokens).
 * @returns results in the order of `checks`
 */
export async function runChecks(checks: DoctorCheck[], options: RunChecksOptions): Promise<CheckResult[]> {
  const now = options.now ?? (() => performance.now());
  const results = new Map<string, CheckResult>();
  const done = new Map<string, Promise<CheckResult>>();
  const byId = new Map(checks.map((c) => [c.id, c]));

  const start = (check: DoctorCheck): Promise<CheckResult> => {
    const existing = done.get(check.id);
    if (existing) return existing;
    const p = (async () => {
      const deps = await Promise.all((check.needs ?? []).filter((id) => byId.has(id)).map((id) => start(byId.get(id)!)));
      const blocked = deps.find((d) => d.status === 'fail' || d.status === 'skip');
      let result: CheckResult;
      if (blocked && !check.runAfterFailure) {
        result = { id: check.id, title: check.title, status: 'skip', detail: `skipped: check '${blocked.id}' did not pass`, hint: '', ms: 0 };
      } else {
        options.onStart?.(check.id);
        const t0 = now();
        const outcome = await runOne(check, check.timeoutMs ?? options.timeoutMs, check.timeoutHint);
        result = { id: check.id, title: check.title, status: outcome.status, detail: oneLine(outcome.detail), hint: oneLine(outcome.hint ?? ''), ms: Math.max(0, Math.round(now() - t0)) };
      }
      results.set(check.id, result);
      options.onResult?.(result);
      return result;
    })();
    done.set(check.id, p);
    return p;
  };
  await Promise.all(checks.map(start));
  return checks.map((c) => results.get(c.id)!);
}

async function runOne(check: DoctorCheck, timeoutMs: number, timeoutHint?: string): Promise<CheckOutcome> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error('timeout'));
      resolve({ status: 'fail', detail: `timed out after ${timeoutMs} ms`, hint: timeoutHint ?? 'check the network and vault.endpoint / vault.region; rerun doctor with a larger --timeout-ms' });
    }, timeoutMs);
  });
  try {
    return await Promise.race([check.run(controller.signal).catch(outcomeOfError), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Turns a thrown error into a failed outcome without leaking raw messages of foreign errors. */
export function outcomeOfError(err: unknown): CheckOutcome {
  if (isVaultMcpError(err)) return { status: 'fail', detail: err.message, hint: err.hint ?? '' };
  return { status: 'fail', detail: `unexpected error (${err instanceof Error ? err.constructor.name : typeof err})`, hint: 'rerun with VAULTMCP_DEBUG=1 and report it' };
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
