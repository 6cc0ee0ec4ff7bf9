import type { RunEvent } from '../../app/run/run.js';
import type { RunPlan } from '../../app/run/plan.js';
import type { ResolutionReport, ResolverEvent } from '../../core/resolve/resolver.js';
import { maskSecret } from '../../core/mask.js';
import { describeGuardEvent } from '../../core/guard/events.js';
import type { Output } from '../../cli/output.js';

/**
 * How `run` looks on the terminal: its events as `vaultmcp:` lines on stderr (warnings always; timings, cache and
 * vault details with `--verbose`), and the `--test` report as text on stderr or JSON on stdout. Never a value:
 * `--test` shows masked values only (maskSecret).
 */

/**
 * A RunEvent listener that writes to `out`.
 * @param verbose also show phases, resolver details, metrics, the environment's origins and launcher events
 */
export function runEventPrinter(out: Output, verbose: boolean): (e: RunEvent) => void {
  const timeline: Array<[string, number]> = [['command', performance.now()]];
  return (e) => {
    switch (e.type) {
      case 'warning':
      case 'revalidation':
        out.warn(e.message);
        return;
      case 'watch':
        out.info(e.message);
        return;
      case 'guard':
        out.warn(describeGuardEvent(e.event));
        return;
      case 'phase':
        timeline.push([e.name, e.atMs]);
        return;
      case 'config':
        if (verbose) out.info(e.fromSnapshot ? 'settings and service from the launch snapshot (their files are unchanged)' : 'settings and service read from their files');
        return;
      case 'resolver':
        if (verbose) printResolverEvent(out, e.event);
        return;
      case 'resolved':
        if (verbose && e.plan.selection.specs.length > 0) printMetrics(out, e.report);
        return;
      case 'launching':
        if (!verbose) return;
        {
          const byOrigin = (o: string) => Object.keys(e.origins).filter((k) => e.origins[k] === o).sort().join(', ') || '-';
          out.info(`environment: secrets [${byOrigin('secret')}] overrides [${byOrigin('override')}] passthrough [${byOrigin('passthrough')}] default [${byOrigin('default')}]`);
          out.info(`starting: ${e.plan.command.join(' ')}`);
        }
        return;
      case 'launcher': {
        const l = e.event;
        if (l.type === 'stop' && l.signal === 'SIGKILL') {
          // not only --verbose: the user should know the server was killed, not stopped
          out.warn(l.reason === 'exited' ? `processes the server started outlived it and ignored SIGTERM; sent SIGKILL to its process group` : `the server did not stop within the stop timeout; sent SIGKILL to its process group`);
          return;
        }
        if (!verbose) return;
        if (l.type === 'spawned') {
          out.info(`server started (pid ${l.pid}); ms since our start: ${timeline.map(([label, t]) => `${label} ${t.toFixed(0)}`).join(', ')}`);
        } else if (l.type === 'first-output') out.info(`first server output ${l.ms.toFixed(0)} ms after its start`);
        else if (l.type === 'signal') out.info(`${l.signal} forwarded to the server`);
        else if (l.type === 'stdin-end') out.info('the client closed stdin; closing the server stdin');
        else if (l.type === 'stop') out.info(l.reason === 'exited' ? `the server exited; sending ${l.signal} to what is left of its process group` : `server still running; sending ${l.signal}`);
        else if (l.type === 'exit') out.info(`server exited (${l.signal ?? `code ${l.code}`}); exit code ${l.exitCode}`);
        else if (l.type === 'stdout-error') out.info(`stdout to the client failed (${l.message}); discarding server output`);
        return;
      }
    }
  };
}

/** `--verbose` resolver events: names, sources, timings, retries, breaker; never values. */
function printResolverEvent(out: Output, e: ResolverEvent): void {
  switch (e.type) {
    case 'cache':
      out.info(`cache ${e.outcome} for ${e.reference}${e.ageMs !== undefined ? ` (age ${Math.round(e.ageMs / 1000)} s)` : ''}`);
      break;
    case 'sdk_loaded':
      out.info(`OCI SDK loaded in ${e.ms.toFixed(1)} ms`);
      break;
    case 'attempt':
      out.info(`vault ${e.op} for ${e.reference}, attempt ${e.attempt}`);
      break;
    case 'retry':
      out.info(`retrying ${e.reference} in ${Math.round(e.delayMs)} ms after ${e.kind}${e.status ? ` (HTTP ${e.status})` : ''}`);
      break;
    case 'breaker':
      out.info(`circuit breaker ${e.state.replace('_', '-')}`);
      break;
    case 'purged':
      out.info(`cached copy of ${e.reference} removed (${e.kind})`);
      break;
    case 'resolved':
    case 'failed':
      break; // summarised per secret by printMetrics
  }
}

function printMetrics(out: Output, report: ResolutionReport): void {
  for (const s of report.secrets) {
    out.info(
      `${s.envVar}: ${s.source}${s.versionNumber !== undefined ? ` v${s.versionNumber}` : ''}` +
        ` in ${s.ms.toFixed(1)} ms, ${s.attempts} attempt${s.attempts === 1 ? '' : 's'}` +
        (s.ageMs !== undefined ? `, cached ${Math.round(s.ageMs / 1000)} s ago` : '') +
        ` (${s.reference})`,
    );
  }
  for (const f of report.failures) {
    out.info(`${f.envVar}: FAILED after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'}, ${f.ms.toFixed(1)} ms: ${oneLine(f.error.message)}`);
  }
  const m = report.metrics;
  out.info(
    `resolved in ${m.totalMs.toFixed(1)} ms: fetched ${m.secretsFetched}, cache hits ${m.cacheHits}, misses ${m.cacheMisses}, ` +
      `stale ${m.staleServed}, retries ${m.retries}, breaker opens ${m.breakerOpens}`,
  );
}

/**
 * The `--test` report: each variable with its source and a masked value; text on stderr, or JSON on stdout.
 * @param stderr where the text goes
 */
export function renderTestReport(out: Output, stderr: { write(s: string): unknown }, plan: RunPlan, report: ResolutionReport, json: boolean): void {
  const ok = !report.failures.some((f) => f.required);
  const secrets = report.secrets.map((s) => ({
    envVar: s.envVar,
    reference: s.reference,
    source: s.source,
    ...(s.secretId ? { secretId: s.secretId } : {}),
    ...(s.versionNumber !== undefined ? { versionNumber: s.versionNumber } : {}),
    masked: maskSecret(s.value),
    attempts: s.attempts,
    ms: round(s.ms),
    ...(s.ageMs !== undefined ? { ageMs: Math.round(s.ageMs) } : {}),
  }));
  const failures = report.failures.map((f) => ({
    envVar: f.envVar,
    reference: f.reference,
    required: f.required,
    kind: (f.error as { kind?: string }).kind ?? 'error',
    message: oneLine(f.error.message),
    attempts: f.attempts,
    ms: round(f.ms),
  }));
  const executable = plan.executable;
  if (json) {
    out.json({
      ok,
      service: plan.service.name,
      origin: plan.service.origin,
      environment: plan.selection.environment,
      command: plan.command,
      cwd: plan.workdir,
      cwdFresh: plan.workdirFresh,
      executable: typeof executable === 'string' ? executable : null,
      ...(typeof executable === 'string' ? {} : { executableError: oneLine(executable.message) }),
      secrets,
      failures,
      metrics: { ...report.metrics, totalMs: round(report.metrics.totalMs) },
      warnings: report.warnings,
    });
    return;
  }
  const lines: string[] = [];
  lines.push(`service ${plan.service.name} (${plan.service.origin}), environment ${plan.selection.environment}`);
  const width = Math.max(8, ...plan.selection.specs.map((s) => s.envVar.length));
  for (const s of secrets) {
    lines.push(
      `  ✓ ${s.envVar.padEnd(width)}  ${s.masked}  from ${s.source}` +
        `  ${s.reference}${s.versionNumber !== undefined ? ` v${s.versionNumber}` : ''}` +
        (s.secretId ? `  ${s.secretId}` : '') +
        `  ${s.ms} ms` +
        (s.ageMs !== undefined ? `, cached ${Math.round(s.ageMs / 1000)} s ago` : ''),
    );
  }
  for (const f of failures) {
    lines.push(`  ${f.required ? '✗' : '-'} ${f.envVar.padEnd(width)}  ${f.required ? 'FAILED' : 'failed (optional)'}: ${f.message}  (${f.reference})`);
  }
  for (const w of report.warnings) if (!w.startsWith('optional secret ')) lines.push(`  warning: ${oneLine(w)}`);
  lines.push(`  working directory: ${plan.workdirFresh ? `a new empty directory per run in ${plan.workdir}` : plan.workdir}`);
  lines.push(
    `  command: ${plan.command.join(' ')}` +
      (typeof executable === 'string' ? `  (${executable})` : `  (NOT FOUND: ${oneLine(executable.message)})`),
  );
  const m = report.metrics;
  lines.push(
    `${ok ? 'ok' : 'FAILED'}: ${secrets.length}/${plan.selection.specs.length} resolved in ${round(m.totalMs)} ms ` +
      `(fetched ${m.secretsFetched}, cache hits ${m.cacheHits}, stale ${m.staleServed}, retries ${m.retries})`,
  );
  stderr.write(lines.join('\n') + '\n');
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
