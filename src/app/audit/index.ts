import type { AppContext } from '../../core/context.js';
import type { Settings } from '../../core/config/settings/index.js';
import { UsageError } from '../../core/errors.js';
import { followAudit, readAuditRecords, type AuditRecord } from '../../core/audit/audit-trail.js';

/**
 * The `audit` use-cases: read the audit trail (values-free JSON lines, core/audit/audit-trail.ts) back, all of it or
 * one service's, and follow it as it grows.
 */

/**
 * The audit file of these settings.
 * @throws UsageError (exit 2) when `audit.file` is off
 */
export function auditFileOf(settings: Settings): string {
  const file = settings.audit?.file;
  if (!file) throw new UsageError('the audit file is off (audit.file: false)', 'set `audit: { file: true }` in resolver.yaml, or read syslog/journald (`journalctl -t docker-vaultmcp`)');
  return file;
}

/**
 * The last records of the trail (rotated files included), oldest first.
 * @param options.service only that service; options.limit at most that many (the newest)
 */
export async function listAuditRecords(settings: Settings, options: { service?: string; limit?: number } = {}): Promise<AuditRecord[]> {
  return readAuditRecords(auditFileOf(settings), { ...options, keep: settings.audit?.keep ?? 3 });
}

/**
 * Calls `onRecord` for each record appended from now on, until `signal` aborts (rotation is followed).
 */
export async function followAuditRecords(_ctx: AppContext, settings: Settings, onRecord: (r: AuditRecord) => void, signal: AbortSignal): Promise<void> {
  await followAudit(auditFileOf(settings), onRecord, signal);
}
