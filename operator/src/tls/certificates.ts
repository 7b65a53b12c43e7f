// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs the Reflect
// metadata API installed before the library loads.
import 'reflect-metadata';
import { isIP } from 'node:net';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// ECDSA P-256: WebCrypto makes these keys natively in milliseconds, and every TLS client
// the API server and the sidecar use accepts them.
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
// Backdated so a node whose clock runs a little behind still accepts a fresh certificate.
const CLOCK_SKEW_MS = 5 * 60_000;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** A certificate and its private key, both PEM (the key as PKCS #8). */
export interface KeyPair {
  certPem: string;
  keyPem: string;
}

/** What the rotation logic needs to know about a certificate. */
export interface CertificateFacts {
  notAfter: Date;
  /** DNS names and IP addresses of the subjectAltName extension. */
  sans: string[];
  subject: string;
  issuer: string;
}

function serialNumber(): string {
  // A positive 16-byte serial: clear the top bit so DER does not read it as negative.
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Makes a self-signed CA that may sign only end-entity certificates (pathLen 0). */
export async function generateCa(
  commonName: string,
  now: Date,
  validityMs: number,
): Promise<KeyPair> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + validityMs),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKey(keys.privateKey) };
}

/** Issues a TLS server certificate for these DNS names and IP addresses, signed by the CA. */
export async function issueServingCertificate(
  ca: KeyPair,
  sans: readonly string[],
  now: Date,
  validityMs: number,
): Promise<KeyPair> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.keyPem),
    ALGORITHM,
    false,
    ['sign'],
  );
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const names = sans.map((value) =>
    isIP(value) === 0 ? { type: 'dns' as const, value } : { type: 'ip' as const, value },
  );

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${sans[0] ?? 'portcullis'}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + validityMs),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(names, false),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKey(keys.privateKey) };
}

/** Reads expiry, names, subject and issuer from a PEM certificate (the first, if several). */
export function certificateFacts(pem: string): CertificateFacts {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const sans = (san?.names.items ?? [])
    .filter((n) => n.type === 'dns' || n.type === 'ip')
    .map((n) => n.value);
  return { notAfter: cert.notAfter, sans, subject: cert.subject, issuer: cert.issuer };
}

/** Does the CA's key sign this certificate? */
export async function isSignedBy(certPem: string, caPem: string): Promise<boolean> {
  const cert = new x509.X509Certificate(certPem);
  const ca = new x509.X509Certificate(caPem);
  return cert.verify({ publicKey: ca.publicKey, signatureOnly: true });
}

/** The DNS names a Service is reached by from inside the cluster, plus extra names. */
export function serviceSans(
  service: string,
  namespace: string,
  extra: readonly string[],
): string[] {
  const names = [
    `${service}.${namespace}.svc`,
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc.cluster.local`,
    ...extra,
  ];
  return [...new Set(names)];
}
