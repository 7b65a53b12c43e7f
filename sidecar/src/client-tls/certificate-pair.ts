import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext } from 'node:tls';

/** Raised when a certificate and key cannot be served: unreadable, malformed or mismatched. */
export class ClientTlsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClientTlsError';
  }
}

/** A certificate and the key that belongs to it, ready to serve TLS with. */
export interface CertificatePair {
  context: SecureContext;
  /** SHA-256 fingerprint of the leaf certificate, as openssl prints it (AB:CD:...). */
  fingerprint: string;
  subject: string;
  validTo: string;
}

// PostgreSQL's own ssl_min_protocol_version defaults to TLSv1.2 as well.
const MIN_TLS_VERSION = 'TLSv1.2';

/**
 * Reads a PEM certificate (a chain, leaf first) and its PEM private key, and checks that the
 * key belongs to the leaf. Throws ClientTlsError saying which file is wrong.
 */
export async function readCertificatePair(
  certFile: string,
  keyFile: string,
): Promise<CertificatePair> {
  let certPem: Buffer;
  let keyPem: Buffer;
  try {
    [certPem, keyPem] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  } catch (error) {
    throw new ClientTlsError('cannot read the client TLS certificate and key', { cause: error });
  }

  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certPem);
  } catch (error) {
    throw new ClientTlsError(`${certFile} holds no PEM certificate`, { cause: error });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    // An encrypted key fails here too: the gate has no passphrase to give.
    throw new ClientTlsError(`${keyFile} holds no unencrypted PEM private key`, { cause: error });
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new ClientTlsError(
      `the key in ${keyFile} does not belong to the certificate in ${certFile}`,
    );
  }

  return {
    context: createSecureContext({ cert: certPem, key: keyPem, minVersion: MIN_TLS_VERSION }),
    fingerprint: certificate.fingerprint256,
    subject: certificate.subject,
    validTo: certificate.validTo,
  };
}
