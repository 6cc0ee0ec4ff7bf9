import type { AppContext } from '../../core/context.js';
import { buildDoctorChecks, type DoctorOptions } from './checks.js';
import { summarize, type CheckResult, type DoctorReport } from './report.js';
import { runChecks, type DoctorCheck } from './runner.js';

export { buildDoctorChecks, dockerPluginDirs, SKEW_FAIL_SECONDS, SKEW_WARN_SECONDS, type DoctorOptions } from './checks.js';
export { CHECK_STATUSES, checkResultSchema, doctorExitCode, doctorReportSchema, summarize, type CheckResult, type CheckStatus, type DoctorReport } from './report.js';
export { outcomeOfError, runChecks, type CheckOutcome, type DoctorCheck, type RunChecksOptions } from './runner.js';

/** Default time limit per check, ms; the MCP handshake gets {@link DEFAULT_HANDSHAKE_TIMEOUT_MS}. */
export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 60_000;

/**
 * Runs every doctor check for `ctx` and returns the report (never throws for a failed check: failures are
 * results). `onStart` / `onResult` feed a live UI.
 * @param options.timeoutMs per-check limit (ms); the handshake uses max(timeoutMs, handshakeTimeoutMs) unless set
 */
export async function runDoctor(
  ctx: AppContext,
  options: DoctorOptions & { timeoutMs?: number; onStart?: (id: string) => void; onResult?: (r: CheckResult) => void; checks?: DoctorCheck[] } = {},
): Promise<DoctorReport> {
  const t0 = performance.now();
  const checks = options.checks ?? buildDoctorChecks(ctx, { handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS, ...options });
  const results = await runChecks(checks, { timeoutMs: options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS, onStart: options.onStart, onResult: options.onResult });
  return summarize(results, performance.now() - t0);
}
