import { render } from 'ink';
import { useEffect, useState } from 'react';
import type { CheckResult, DoctorReport } from '../../app/doctor/report.js';
import { DoctorChecklist, type ChecklistRow } from './checklist.js';
import { formatSummaryText } from './text.js';

/** Feeds a live checklist: the runner calls `start`/`result`, the component re-renders. */
export class ChecklistFeed {
  rows: ChecklistRow[];
  summary?: string;
  private listeners = new Set<() => void>();
  constructor(checks: Array<{ id: string; title: string }>) {
    this.rows = checks.map((c) => ({ id: c.id, title: c.title, state: 'pending' }));
  }
  start = (id: string): void => this.update(id, (r) => ({ ...r, state: 'running' }));
  result = (res: CheckResult): void => this.update(res.id, (r) => ({ ...r, state: 'done', result: res }));
  finish(report: DoctorReport): void {
    this.summary = formatSummaryText(report);
    this.emit();
  }
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  private update(id: string, fn: (r: ChecklistRow) => ChecklistRow): void {
    this.rows = this.rows.map((r) => (r.id === id ? fn(r) : r));
    this.emit();
  }
  private emit(): void {
    for (const l of this.listeners) l();
  }
}

/** Checklist bound to a feed (re-renders on every start/result). */
export function LiveChecklist({ feed }: { feed: ChecklistFeed }) {
  const [, setTick] = useState(0);
  useEffect(() => feed.subscribe(() => setTick((t) => t + 1)), [feed]);
  return <DoctorChecklist rows={feed.rows} summary={feed.summary} />;
}

/**
 * Renders doctor's live checklist on a TTY while `run` executes the checks (fed through the ChecklistFeed),
 * leaves the final frame on screen and resolves with the report.
 */
export async function renderDoctorLive(
  checks: Array<{ id: string; title: string }>,
  run: (feed: ChecklistFeed) => Promise<DoctorReport>,
  streams: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): Promise<DoctorReport> {
  const feed = new ChecklistFeed(checks);
  const app = render(<LiveChecklist feed={feed} />, { stdout: streams.stdout, stderr: streams.stderr, stdin: streams.stdin, interactive: true, patchConsole: false, exitOnCtrlC: true });
  try {
    const report = await run(feed);
    feed.finish(report);
    await new Promise((r) => setTimeout(r, 20));
    return report;
  } finally {
    app.unmount();
    await app.waitUntilExit().catch(() => {});
  }
}
