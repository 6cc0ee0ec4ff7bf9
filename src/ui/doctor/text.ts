import type { CheckResult, CheckStatus, DoctorReport } from '../../app/doctor/report.js';

/** Plain-text twin of the doctor checklist (no TTY, no --json). No colours, one block per check. */
export const STATUS_LABEL: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

/** One check as text: `PASS  auth  Authentication (…)  12 ms` plus indented detail and `fix:` lines. */
export function formatCheckText(c: CheckResult): string {
  const lines = [`${STATUS_LABEL[c.status]}  ${c.id}  ${c.title}  (${c.ms} ms)`];
  if (c.detail) lines.push(`      ${c.detail}`);
  if (c.hint && (c.status === 'fail' || c.status === 'warn')) lines.push(`      fix: ${c.hint}`);
  return lines.join('\n');
}

/** The summary line: `14 passed, 1 warning, 0 failed, 1 skipped in 1234 ms`. */
export function formatSummaryText(report: DoctorReport): string {
  const s = report.summary;
  return `${s.pass} passed, ${s.warn} warning${s.warn === 1 ? '' : 's'}, ${s.fail} failed, ${s.skip} skipped in ${s.ms} ms`;
}

/** The whole report as plain text, ending with a newline. */
export function formatReportText(report: DoctorReport): string {
  return `${report.checks.map(formatCheckText).join('\n')}\n\n${formatSummaryText(report)}\n`;
}

/** The JSON twin: exactly `{"checks":[…],"summary":{…}}` on one line plus a newline. */
export function formatReportJson(report: DoctorReport): string {
  return `${JSON.stringify({ checks: report.checks.map(({ id, title, status, detail, hint, ms }) => ({ id, title, status, detail, hint, ms })), summary: report.summary })}\n`;
}
