import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { ConfigError } from '../../core/errors.js';

/** True when the PEM text is an encrypted private key (PKCS#8 `ENCRYPTED PRIVATE KEY` or `Proc-Type: 4,ENCRYPTED`). */
export function isEncryptedPem(pem: string): boolean {
  return /-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pem) || /Proc-Type:\s*4,ENCRYPTED/.test(pem);
}

/**
 * The OCI API key fingerprint of a private key: MD5 of the DER SubjectPublicKeyInfo as colon-separated lower-case
 * hex (`openssl rsa -pubout -outform DER | openssl md5 -c`; reference/oci-api.md §4 rule 6).
 * @param pem the private key (PKCS#8 or traditional RSA PEM)
 * @param passphrase for an encrypted key
 * @throws ConfigError when the key cannot be read (wrong passphrase, not a private key); never includes key text
 */
export function keyFingerprint(pem: string, passphrase?: string): string {
  let der: Buffer;
  try {
    const priv = createPrivateKey({ key: pem, format: 'pem', ...(passphrase ? { passphrase } : {}) });
    der = createPublicKey(priv).export({ type: 'spki', format: 'der' });
  } catch {
    throw new ConfigError(
      isEncryptedPem(pem) && !passphrase
        ? 'the API key is encrypted and no passphrase is available'
        : isEncryptedPem(pem)
          ? 'the API key could not be decrypted (wrong passphrase?)'
          : 'the file is not a readable PEM private key',
      { hint: 'point key_file at the private key that belongs to the API key uploaded in the OCI console' },
    );
  }
  return createHash('md5').update(der).digest('hex').match(/../g)!.join(':');
}
