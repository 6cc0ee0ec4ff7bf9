/**
 * Child process for multi-process resolver tests: loads settings like the CLI does (--config file + env), resolves
 * the references given in argv, and prints one JSON line on stdout: {ok, ms, secrets:[{envVar,source,versionNumber}],
 * failures:[{envVar,kind}], ociModules:[…]} — never values (the parent compares a SHA-256 of each).
 * `ociModules` lists oci-* packages this process resolved (module hooks), to prove a fresh cache hit loads no SDK.
 *
 *   node --import tsx test/helpers/resolve-child.ts CONFIG_FILE NAME=REF [NAME=REF…]
 * Env: the caller's (HOME, XDG_*, VAULTMCP_CACHE_KEY, CHILD_RESILIENCE as JSON overrides, CHILD_CACHE as JSON).
 */
import { createHash } from 'node:crypto';
import module from 'node:module';

const ociModules = new Set<string>();
const hooks = (module as unknown as { registerHooks?: (h: unknown) => void }).registerHooks;
hooks?.({
  resolve(specifier: string, context: unknown, next: (s: string, c: unknown) => unknown) {
    if (/^oci-/.test(specifier)) ociModules.add(specifier.split('/')[0]!);
    return next(specifier, context);
  },
});

const [configFile, ...pairs] = process.argv.slice(2);
const { processContext } = await import('../../src/core/context.js');
const { loadSettings } = await import('../../src/core/config/settings/index.js');
const { createResolver } = await import('../../src/core/resolve/resolver.js');
const { parseSecretRef, formatSecretRef } = await import('../../src/core/vault/refs.js');
const ctx = processContext();
const { settings } = await loadSettings(ctx, { configFile });
// 30 children at once on a loaded 2-core machine can take longer than the 8 s default deadline: these tests check
// correctness under concurrency; the deadline has its own test (deadline.test.ts)
Object.assign(settings.resilience, { deadline_ms: 120_000 }, JSON.parse(process.env.CHILD_RESILIENCE ?? '{}'));
Object.assign(settings.cache, JSON.parse(process.env.CHILD_CACHE ?? '{}'));
const specs = pairs.map((p) => {
  const [envVar, text] = p.split('=', 2) as [string, string];
  const ref = parseSecretRef(text);
  return { envVar, ref, reference: formatSecretRef(ref), required: true };
});
const t0 = performance.now();
const resolver = await createResolver({ settings, ctx, resilience: { backoffBaseMs: 20, backoffMaxMs: 100 } });
const report = await resolver.resolve(specs);
const ms = performance.now() - t0;
await resolver.close();
process.stdout.write(
  JSON.stringify({
    ok: report.failures.length === 0,
    ms,
    secrets: report.secrets.map((s) => ({ envVar: s.envVar, source: s.source, versionNumber: s.versionNumber, sha256: createHash('sha256').update(s.value).digest('hex') })),
    failures: report.failures.map((f) => ({ envVar: f.envVar, kind: f.error.kind })),
    warnings: report.warnings,
    ociModules: [...ociModules],
  }) + '\n',
);
