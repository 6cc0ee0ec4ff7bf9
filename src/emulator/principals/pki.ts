/**
 * The emulator's small PKI (node-forge): a root CA, OCI's instance-identity intermediate and leaf, and the TLS
 * server certificate of the emulated OKE proxymux. Key pairs come from node:crypto (fast, native); forge only
 * builds and signs the certificates (RSA-SHA256).
 *
 * The instance leaf carries the instance's identity the way OCI's does (oci-common `AuthUtils.
 * getTenantIdFromCertificate` reads the tenancy from a subject component `opc-tenant:<ocid>`; OCI's real leaf
 * subject is `CN=<instance ocid>, OU=opc-certtype:instance, OU=opc-compartment:<ocid>, OU=opc-instance:<ocid>,
 * OU=opc-tenant:<ocid>`), chained to an intermediate that the federation endpoint checks.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** A certificate with its private key, both PEM. */
export interface CertAndKey {
  certPem: string;
  /** PKCS#8 PEM */
  keyPem: string;
}

/** A subject / issuer attribute, e.g. `{ shortName: 'OU', value: 'opc-tenant:ocid1…' }`. */
export interface NameAttribute {
  shortName: 'CN' | 'OU' | 'O';
  value: string;
}

/** A new RSA 2048 key pair as PEM (private PKCS#8, public SPKI). */
export function newRsaKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

/**
 * Issues a certificate.
 * @param o.subject subject attributes, in order
 * @param o.issuer the signing CA (omit for a self-signed root)
 * @param o.ca true for a CA certificate (basicConstraints cA, keyCertSign)
 * @param o.altNames subjectAltName entries for a TLS server: DNS names and IP addresses
 * @param o.validMs validity from now - 5 min (clock slack), ms
 * @param o.now the emulator clock, ms since the epoch
 * @returns the certificate and its (new) private key, PEM
 */
export function issueCertificate(o: {
  subject: NameAttribute[];
  issuer?: CertAndKey;
  ca?: boolean;
  altNames?: { dns?: string[]; ip?: string[] };
  validMs: number;
  now: number;
}): CertAndKey {
  const pair = newRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pair.publicKeyPem);
  // positive serial: first byte < 0x80
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(o.now - 5 * 60_000);
  cert.validity.notAfter = new Date(o.now + o.validMs);
  cert.setSubject(o.subject.map((a) => ({ shortName: a.shortName, value: a.value })));
  const issuerCert = o.issuer ? forge.pki.certificateFromPem(o.issuer.certPem) : undefined;
  cert.setIssuer(issuerCert ? issuerCert.subject.attributes : cert.subject.attributes);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: !!o.ca, critical: true },
    o.ca
      ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (o.altNames) {
    extensions.push({ name: 'extKeyUsage', serverAuth: true });
    extensions.push({
      name: 'subjectAltName',
      altNames: [...(o.altNames.dns ?? []).map((value) => ({ type: 2, value })), ...(o.altNames.ip ?? []).map((ip) => ({ type: 7, ip }))],
    });
  }
  cert.setExtensions(extensions);
  const signer = forge.pki.privateKeyFromPem(o.issuer ? o.issuer.keyPem : pair.privateKeyPem);
  cert.sign(signer, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: pair.privateKeyPem };
}

/**
 * True when `leafPem` was signed by `issuerPem`'s key and is within its validity at `now`.
 * @returns false for anything unparsable
 */
export function verifyIssuedBy(leafPem: string, issuerPem: string, now: number): boolean {
  try {
    const leaf = forge.pki.certificateFromPem(leafPem);
    const issuer = forge.pki.certificateFromPem(issuerPem);
    if (now < leaf.validity.notBefore.getTime() || now > leaf.validity.notAfter.getTime()) return false;
    return issuer.verify(leaf);
  } catch {
    return false;
  }
}

/** A certificate body as the SDK sends it (base64 DER, no PEM armour or newlines) → PEM. */
export function pemFromBase64Der(b64: string): string {
  const clean = b64.replace(/[^A-Za-z0-9+/=]/g, '');
  return `-----BEGIN CERTIFICATE-----\n${clean.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
}

/** A public key body as the SDK sends it (base64 SPKI DER, no armour) → PEM. */
export function publicPemFromBase64Der(b64: string): string {
  const clean = b64.replace(/[^A-Za-z0-9+/=]/g, '');
  return `-----BEGIN PUBLIC KEY-----\n${clean.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END PUBLIC KEY-----\n`;
}
