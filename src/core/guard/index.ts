/**
 * The leak guard (docs/leak-guard.md): the forms of a value, the multi-pattern matcher, the JSON-RPC message
 * filters and the stderr redactor. `run` wires it in app/run/run.ts; any other relay (serve, gateway) builds one
 * with {@link createLeakGuard} and puts `guard.serverToClient` / `guard.clientToServer` into its line-framed
 * pipeline and `guard.stderrRedactor()` on the server's stderr.
 */
export { base64Core, byteForms, MIN_GUARDED_BYTES, textForms, type EncodedForm, type LeakForm } from './forms.js';
export { LeakMatcher, redactionLabel, type GuardPattern, type LeakHit } from './matcher.js';
export { describeGuardEvent, type GuardEvent, type LeakDirection } from './events.js';
export {
  createLeakGuard,
  LEAK_BLOCKED_CALL_CODE,
  LEAK_BLOCKED_RESPONSE_CODE,
  LEAK_GUARD_MODES,
  LeakGuard,
  type GuardedSecret,
  type LeakGuardMode,
} from './leak-guard.js';
