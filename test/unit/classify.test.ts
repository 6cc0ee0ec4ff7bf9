/** classifyOciError (src/core/vault/classify.ts): SDK failures → VaultError kinds, our own messages only. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyOciError } from '../../src/core/vault/classify.js';

/** An OciError-shaped object as oci-common 2.139.1 throws for HTTP answers (reference/oci-api.md §3). */
const ociError = (statusCode: number, serviceCode: string, message = 'server text') =>
  Object.assign(new Error(message), { statusCode, serviceCode, opcRequestId: 'REQ1' });

describe('classifyOciError', () => {
  it('maps statuses to kinds, final vs transient, with our own message', () => {
    const cases: Array<[number, string, string, boolean, boolean]> = [
      [401, 'NotAuthenticated', 'auth', false, true],
      [403, 'NotAuthorized', 'forbidden', false, true],
      [404, 'NotAuthorizedOrNotFound', 'not_found', false, true],
      [400, 'InvalidParameter', 'invalid', false, false],
      [429, 'TooManyRequests', 'throttled', true, false],
      [500, 'InternalServerError', 'server', true, false],
      [503, 'ServiceUnavailable', 'server', true, false],
    ];
    for (const [status, code, kind, transient, revokes] of cases) {
      const err = classifyOciError(ociError(status, code, 'Signature keyId="ST$secret-token" rejected'), "secret 'x'");
      assert.equal(err.kind, kind, String(status));
      assert.equal(err.transient, transient, String(status));
      assert.equal(err.revokes, revokes, String(status));
      assert.equal(err.exitCode, 3);
      assert.equal(err.status, status);
      assert.match(err.message, new RegExp(`${status} ${code}`));
      assert.doesNotMatch(err.message + (err.hint ?? ''), /secret-token|Signature/, 'the raw SDK message is never kept');
    }
  });

  it('transport failures: unreachable names only the endpoint origin, never its path or the SDK text', () => {
    const err = classifyOciError(
      { message: 'fetch failed: Authorization: Signature keyId="ST$tok"', requestEndpoint: 'POST http://127.0.0.1:9/20190301/secretbundles/actions/getByName?secretName=github-token' },
      "secret 'github-token'",
    );
    assert.equal(err.kind, 'network');
    assert.equal(err.message, "the vault at http://127.0.0.1:9 is unreachable for secret 'github-token'");
    assert.equal(classifyOciError({ message: 'fetch failed' }, 'x').message, 'the vault is unreachable for x');
  });

  it('aborts are timeouts, EOPENBREAKER is breaker_open, a malformed body is a network error', () => {
    assert.equal(classifyOciError(Object.assign(new Error('aborted'), { name: 'AbortError' }), 'x').kind, 'timeout');
    assert.equal(classifyOciError({ code: 'EOPENBREAKER', message: 'Breaker is open' }, 'x').kind, 'breaker_open');
    assert.equal(classifyOciError(new SyntaxError('Unexpected token'), 'x').kind, 'network');
  });
});
