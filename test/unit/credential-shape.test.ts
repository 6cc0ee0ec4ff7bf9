/**
 * Names that look like credentials (src/core/credential-shape.ts) are refused wherever a name enters: secret
 * references (service definitions, `secret get NAME|REF`), environment variable names, `secret upload NAME`, service
 * names; and the refusal never echoes them (issue 9, point 10). Also the `?version=` rules of refs (point 11).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { validateSecretName } from '../../src/app/secrets/secret-input.js';
import { loadService, parseServiceText, selectEnvironment } from '../../src/core/config/services/index.js';
import { credentialShape } from '../../src/core/credential-shape.js';
import { ConfigError, UsageError } from '../../src/core/errors.js';
import { parseSecretRef } from '../../src/core/vault/refs.js';

const TOKENS = {
  github: 'ghp_' + 'R8s2Kq9LmZ4xT7vB1nW3yH6cJ0pF5dA8gE2u',
  githubPat: 'github_pat_11ABCDEFG0' + 'x9Yz8Wv7Ut6Sr5Qp4On3Ml2Kj1',
  gitlab: 'glpat-' + 'Zx8Cv7Bn6Mq5Wr4Et3Y2',
  slack: 'xoxb-' + '1234567890-0987654321-AbCdEfGhIjKlMnOp',
  openai: 'sk-proj-' + 'T3BlbkFJ' + 'a1B2c3D4e5F6g7H8i9J0',
  aws: 'AKIA' + 'IOSFODNN7EXAMPLE',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  random: randomBytes(30).toString('base64url').replace(/^/, 'Q7') + 'z9',
  hex: randomBytes(20).toString('hex').replace(/^./, 'a') + '7',
};

describe('credentialShape', () => {
  it('recognises known token prefixes, JWTs, high-entropy and long hex strings', () => {
    for (const [what, token] of Object.entries(TOKENS)) assert.ok(credentialShape(token), what);
  });

  it('leaves names alone: kebab, snake, dotted, CamelCase with digits, env var names, OCIDs', () => {
    for (const name of [
      'github-token', 'github-token-prod', 'prod.db_password', 'GITHUB_PERSONAL_ACCESS_TOKEN', 'MyServiceDbPassword2024xx',
      'AzureOpenAIKeyForProdEastUS2Deployment', 'sk-prod', 'skip-this-one', 'ocid1.vaultsecret.oc1.iad.amaaaaaaQ5X7h3bJk2LmNpQrStUvWxYz12345abcd',
      'oci-vault://ocid1.vault.oc1.iad.amaaaaaaq5X7h3bJk2LmNpQrStUvWxYz12345/github-token?version=3',
    ]) {
      assert.equal(credentialShape(name), undefined, name);
    }
  });
});

describe('refused wherever a name enters, never echoed', () => {
  const notEchoed = (token: string, kind: typeof ConfigError | typeof UsageError) => (e: unknown) => {
    assert.ok(e instanceof kind, String(e));
    assert.equal((e as ConfigError).exitCode, 2);
    assert.match((e as Error).message, /looks like .*not a name/);
    assert.ok(!(e as Error).message.includes(token) && !((e as ConfigError).hint ?? '').includes(token), (e as Error).message);
    assert.ok(!(e as Error).message.includes(token.slice(4, 14)));
    return true;
  };

  it('as a secret reference: bare, in oci-vault://…/NAME, with a qualifier', () => {
    for (const token of Object.values(TOKENS)) {
      assert.throws(() => parseSecretRef(token), notEchoed(token, ConfigError));
    }
    assert.throws(() => parseSecretRef(`oci-vault://ocid1.vault.oc1..x/${TOKENS.github}`), notEchoed(TOKENS.github, ConfigError));
    assert.throws(() => parseSecretRef(`${TOKENS.random}?version=2`), notEchoed(TOKENS.random, ConfigError));
  });

  it('in a service definition, as a secret name (run --test, service show) or as an environment variable name', () => {
    const asName = { ...parseServiceText(JSON.stringify({ secrets: { GITHUB_TOKEN: TOKENS.github }, target_command: ['x'] }), 'svc.json'), name: 'svc', origin: 'svc.json', source: 'path' as const };
    assert.throws(() => selectEnvironment(asName, undefined), notEchoed(TOKENS.github, ConfigError));
    for (const token of [TOKENS.github, TOKENS.aws]) {
      assert.throws(
        () => parseServiceText(JSON.stringify({ secrets: { [token]: 'github-token' }, target_command: ['x'] }), 'svc.json'),
        (e: unknown) => e instanceof ConfigError && /looks like a credential/.test(e.message) && !e.message.includes(token),
      );
      assert.throws(
        () => parseServiceText(JSON.stringify({ secrets: {}, env_overrides: { [token]: 'x' }, target_command: ['x'] }), 'svc.json'),
        (e: unknown) => e instanceof ConfigError && !e.message.includes(token),
      );
    }
  });

  it('as `secret upload NAME` and as a service name', async () => {
    assert.throws(() => validateSecretName(TOKENS.slack), notEchoed(TOKENS.slack, UsageError));
    await assert.rejects(loadService(TOKENS.openai, { env: {}, homeDir: '/nonexistent', cwd: '/' }), notEchoed(TOKENS.openai, UsageError));
  });
});

describe('version qualifiers', () => {
  it('a version beyond 2^53 - 1 and a repeated qualifier are refused', () => {
    assert.throws(() => parseSecretRef('github-token?version=99999999999999999999'), (e: unknown) => e instanceof ConfigError && /version must be a whole number from 1 to 9007199254740991/.test(e.message));
    assert.throws(() => parseSecretRef('github-token?version=1&version=2'), (e: unknown) => e instanceof ConfigError && /'version' is given more than once/.test(e.message));
    assert.throws(() => parseSecretRef('github-token?stage=CURRENT&stage=PENDING'), /'stage' is given more than once/);
    assert.throws(() => parseSecretRef('github-token?version=1&versionNumber=2'), /more than once/);
    assert.equal(parseSecretRef('github-token?version=9007199254740991').versionNumber, Number.MAX_SAFE_INTEGER);
  });
});
