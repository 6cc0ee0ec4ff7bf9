import type { AuditRecord } from '../../core/audit/audit-trail.js';

/**
 * One audit record as one line of text, e.g.
 * `2026-11-30T01:00:00.000Z github/production start pid 123 guard redact, 412 ms: GITHUB_TOKEN ocid1…secret (v3, vault)`.
 * Never a value (records hold none).
 */
export function formatAuditRecord(r: AuditRecord): string {
  const head = `${r.time} ${r.service}/${r.environment}`;
  switch (r.event) {
    case 'start': {
      const vars = r.variables
        .map((v) => `${v.name}${v.file ? ' (file)' : ''} ${v.secret_id ?? '-'} (${v.version !== undefined ? `v${v.version}, ` : ''}${v.source})`)
        .join('; ');
      return `${head} start pid ${r.pid}, guard ${r.leak_guard}, resolved in ${r.resolution_ms} ms${vars ? `: ${vars}` : ''}`;
    }
    case 'exit':
      return `${head} exit pid ${r.pid}, exit code ${r.exit_code}${r.signal ? ` (${r.signal})` : ''} after ${Math.round(r.duration_ms / 1000)} s`;
    case 'revalidation':
      return `${head} revalidation: ${r.message}`;
    case 'rotation':
      return `${head} ${r.message}`;
    case 'leak':
      return `${head} leak guard: ${r.variable} (${r.form}) ${r.direction}${r.method ? ` ${r.method}` : ''}: ${r.action}`;
    default:
      return `${head} ${(r as { event?: string }).event ?? 'record'}`;
  }
}
