import { z } from 'zod';

/**
 * The result shapes of `docker vaultmcp doctor`. The JSON document printed by `doctor --json` (and without a
 * TTY when asked for JSON) is exactly {@link doctorReportSchema}; docs/doctor-and-setup.md documents it.
 */
export const CHECK_STATUSES = ['pass', 'warn', 'fail', 'skip'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** One check's outcome. `detail` and `hint` are single lines without secret values; `ms` is wall time. */
export const checkResultSchema = z
  .object({
    /** stable identifier, e.g. `auth`, `key-file`, `service:github:handshake` */
    id: z.string().min(1),
    /** what was checked, e.g. "API key file readable, mode 0600" */
    title: z.string().min(1),
    status: z.enum(CHECK_STATUSES),
    /** what was found (one line) */
    detail: z.string(),
    /** the fix, one line naming a command or setting; empty when there is nothing to fix */
    hint: z.string(),
    /** wall time of the check in milliseconds (integer) */
    ms: z.number().int().min(0),
  })
  .strict();
export type CheckResult = z.infer<typeof checkResultSchema>;

/** `{"checks":[…],"summary":{"pass":N,"warn":N,"fail":N,"skip":N,"ms":N}}`; summary.ms is total wall time. */
export const doctorReportSchema = z
  .object({
    checks: z.array(checkResultSchema),
    summary: z
      .object({
        pass: z.number().int().min(0),
        warn: z.number().int().min(0),
        fail: z.number().int().min(0),
        skip: z.number().int().min(0),
        ms: z.number().int().min(0),
      })
      .strict(),
  })
  .strict();
export type DoctorReport = z.infer<typeof doctorReportSchema>;

/** Builds the report from results (in display order) and the total wall time in ms. */
export function summarize(checks: CheckResult[], totalMs: number): DoctorReport {
  const summary = { pass: 0, warn: 0, fail: 0, skip: 0, ms: Math.max(0, Math.round(totalMs)) };
  for (const c of checks) summary[c.status]++;
  return { checks, summary };
}

/** Exit code of doctor: 0 when nothing failed, 1 otherwise. */
export function doctorExitCode(report: DoctorReport): number {
  return report.summary.fail > 0 ? 1 : 0;
}
