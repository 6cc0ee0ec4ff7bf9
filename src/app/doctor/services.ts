import { McpProbeError, probeMcpServer } from '../../core/mcp/probe.js';
import { withSecrets } from '../run/plan.js';
import type { CheckOutcome, DoctorCheck } from './runner.js';
import { fail, pass, warn, type DoctorState } from './state.js';

/** The hint of a handshake that failed on a non-JSON-RPC stdout line. */
const BANNER_HINT = 'stdout must carry only JSON-RPC: make the server log to stderr (check its flags/LOG settings in env_overrides)';

/**
 * Doctor's checks of one `--service`, in display order, each giving the verdict `run` would:
 * - definition: the service file loads and its environment is known;
 * - command: target_command[0] resolves to an executable in the server's working directory, on the PATH the
 *   server will get (run's plan, src/app/run/plan.ts);
 * - secrets: the resolver resolves the specs exactly as `run --refresh` does (reference, ambiguity and decoding
 *   rules; all-or-nothing for required secrets, warnings for optional ones), without the disk cache; values stay
 *   in memory for the handshake;
 * - handshake: the server, started as run would start it, answers initialize + tools/list (core/mcp/probe.ts)
 *   and prints nothing but JSON-RPC on stdout.
 * @param handshakeTimeoutMs the handshake's time limit (the runner's; npx may download the server first)
 */
export function serviceChecks(state: DoctorState, name: string, handshakeTimeoutMs?: number): DoctorCheck[] {
  const id = (part: string) => `service:${name}:${part}`;
  return [
    { id: id('definition'), title: `Service '${name}': definition valid`, run: () => checkDefinition(state, name) },
    { id: id('command'), title: `Service '${name}': server command on PATH`, needs: [id('definition')], run: () => checkCommand(state, name) },
    { id: id('secrets'), title: `Service '${name}': secrets resolvable`, needs: [id('definition'), 'auth'], run: () => checkSecrets(state, name) },
    {
      id: id('handshake'),
      title: `Service '${name}': MCP handshake`,
      needs: [id('command'), id('secrets')],
      timeoutMs: handshakeTimeoutMs,
      timeoutHint: `the server did not finish initialize + tools/list in time (npx may still be downloading it): start it once by hand, or rerun with a larger --timeout-ms`,
      run: (s) => checkHandshake(state, name, s),
    },
  ];
}

async function checkDefinition(state: DoctorState, name: string): Promise<CheckOutcome> {
  const { def, sel } = await state.service(name);
  const detail = `${def.origin}: ${sel.specs.length} secret(s), environment ${sel.environment}, command ${def.target_command[0]}`;
  if (sel.warnings.length) return warn(`${detail}; ${sel.warnings[0]}`, 'pass a known --env, or add the environment to the service definition');
  return pass(detail);
}

async function checkCommand(state: DoctorState, name: string): Promise<CheckOutcome> {
  // run's own plan: a relative target_command is taken in the server's working directory, not in ours
  const plan = await state.plan(name);
  if (plan.executable instanceof Error) throw plan.executable;
  return pass(`${plan.executable} (working directory ${plan.workdir})`);
}

async function checkSecrets(state: DoctorState, name: string): Promise<CheckOutcome> {
  const { sel } = await state.service(name);
  if (sel.specs.length === 0) return pass('the service declares no secrets');
  const { settings } = await state.loaded();
  const { createResolver } = await import('../../core/resolve/resolver.js');
  const resolver = await createResolver({ settings, ctx: state.ctx, cache: null });
  let report;
  try {
    report = await resolver.resolve(sel.specs, { refresh: true });
  } finally {
    await resolver.close();
  }
  state.resolved.set(name, report);
  const failures: string[] = [];
  const optionalFailures: string[] = [];
  let hint = '';
  for (const f of report.failures) {
    const e = f.error;
    const why = e.kind === 'not_found' ? 'not found' : e.kind === 'auth' ? 'authentication failed' : e.kind === 'forbidden' ? 'not authorized' : e.message;
    (f.required ? failures : optionalFailures).push(`${f.envVar} (${f.reference}): ${why}`);
    if (f.required && !hint) {
      hint = e.kind === 'not_found' ? `upload it with \`docker vaultmcp secret upload ${f.reference.replace(/\?.*$/, '')}\`, or fix the reference in the service definition` : (e.hint ?? '');
    }
  }
  const ok = report.secrets.map((s) => `${s.envVar} ← ${s.reference} v${s.versionNumber ?? '?'}`);
  if (failures.length) return fail(failures.join('; '), hint);
  if (optionalFailures.length) return warn(`${[...ok, `optional: ${optionalFailures.join('; ')}`].join('; ')}`, 'optional secrets are left out of the environment');
  return pass(ok.join('; '));
}

async function checkHandshake(state: DoctorState, name: string, signal: AbortSignal): Promise<CheckOutcome> {
  const plan = await state.plan(name);
  if (plan.executable instanceof Error) throw plan.executable;
  const secrets = Object.fromEntries((state.resolved.get(name)?.secrets ?? []).map((s) => [s.envVar, s.value]));
  const { env } = withSecrets(plan, secrets);
  const { createRunDirectory } = await import('../../core/launcher/workdir.js');
  const runDir = await createRunDirectory({ dir: plan.workdir, fresh: plan.workdirFresh });
  try {
    const r = await probeMcpServer(
      { file: plan.executable, args: plan.command.slice(1), env, cwd: runDir.path },
      { signal, secretValues: Object.values(secrets), clientName: 'docker-vaultmcp-doctor', clientVersion: state.options.version ?? '0.0.0' },
    );
    if (r.banner !== undefined) return fail(`server printed a banner on stdout: ${r.banner}`, BANNER_HINT);
    const who = `${r.serverName ?? 'server'}${r.serverVersion ? ` ${r.serverVersion}` : ''}`;
    return pass(`${who}${r.protocolVersion ? ` (protocol ${r.protocolVersion})` : ''}: initialize + tools/list OK, ${r.toolCount} tool(s) in ${r.ms} ms`);
  } catch (err) {
    if (!(err instanceof McpProbeError)) throw err;
    if (err.details.banner !== undefined) return fail(err.reason, BANNER_HINT);
    return fail(err.reason, `run \`docker vaultmcp run ${name} --test\` and the server command by hand to see its own error output`);
  } finally {
    await runDir.remove();
  }
}
