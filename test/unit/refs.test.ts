/** Secret reference parsing and formatting (src/core/refs.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.js';
import { formatSecretRef, parseSecretRef, secretNameOf } from '../../src/core/vault/refs.js';

const VAULT = 'ocid1.vault.oc1.eu-frankfurt-1.abcdefgh';
const COMP = 'ocid1.compartment.oc1..aaaaexample';
const TENANCY = 'ocid1.tenancy.oc1..aaaatenancy';
const SECRET = 'ocid1.vaultsecret.oc1.eu-frankfurt-1.amaaaexample';

describe('parseSecretRef', () => {
  const cases: Array<[string, unknown]> = [
    ['github-token', { kind: 'name', name: 'github-token' }],
    ['  spaced.name_1  ', { kind: 'name', name: 'spaced.name_1' }],
    [`oci-vault://${VAULT}/github-token`, { kind: 'vault', vaultId: VAULT, name: 'github-token' }],
    [`oci-vault://${COMP}/db`, { kind: 'compartment', compartmentId: COMP, name: 'db' }],
    [`oci-vault://${TENANCY}/db`, { kind: 'compartment', compartmentId: TENANCY, name: 'db' }],
    [SECRET, { kind: 'ocid', secretId: SECRET }],
    [`oci-vault://${SECRET}`, { kind: 'ocid', secretId: SECRET }],
    ['github-token?version=3', { kind: 'name', name: 'github-token', versionNumber: 3 }],
    ['github-token?versionNumber=12', { kind: 'name', name: 'github-token', versionNumber: 12 }],
    ['github-token?stage=pending', { kind: 'name', name: 'github-token', stage: 'PENDING' }],
    [`${SECRET}?stage=PREVIOUS`, { kind: 'ocid', secretId: SECRET, stage: 'PREVIOUS' }],
  ];
  for (const [text, expected] of cases) it(`parses ${text.trim()}`, () => assert.deepEqual(parseSecretRef(text), expected));

  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['name with space', /may only contain/],
    ['a&b', /may only contain/],
    ['oci-vault://justname', /expected oci-vault/],
    ['oci-vault://ocid1.key.oc1..x/name', /not a vault or compartment OCID/],
    [`oci-vault://${VAULT}/bad name`, /may only contain/],
    ['ocid1.vault.oc1..x', /must be a secret OCID/],
    ['x?version=0', /whole number from 1/],
    ['x?version=1.5', /whole number from 1/],
    ['x?stage=NEWEST', /stage must be one of/],
    ['x?version=1&stage=CURRENT', /either version or stage/],
    ['x?label=1', /unknown qualifier/],
  ];
  for (const [text, pattern] of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseSecretRef(text), (e: ConfigError) => e instanceof ConfigError && e.exitCode === 2 && pattern.test(e.message) && !!e.hint);
    });
  }
});

describe('formatSecretRef', () => {
  it('round-trips every form canonically', () => {
    for (const text of ['github-token', `oci-vault://${VAULT}/n?version=2`, `oci-vault://${COMP}/n?stage=LATEST`, SECRET, `${SECRET}?version=1`]) {
      assert.equal(formatSecretRef(parseSecretRef(text)), text);
    }
    assert.equal(formatSecretRef(parseSecretRef(`oci-vault://${SECRET}`)), SECRET);
    assert.equal(formatSecretRef(parseSecretRef('n?stage=current')), 'n?stage=CURRENT');
    assert.equal(formatSecretRef(parseSecretRef('n?versionNumber=4')), 'n?version=4');
  });
  it('secretNameOf', () => {
    assert.equal(secretNameOf(parseSecretRef(`oci-vault://${VAULT}/abc`)), 'abc');
    assert.equal(secretNameOf(parseSecretRef(SECRET)), undefined);
  });
});
