import type { RotatingCertificate } from './rotating-certificate.js';

export * from './certificate-pair.js';
export * from './rotating-certificate.js';
export * from './tls-upgrade.js';

/** TLS on the client side of the gate (--client-tls-cert, --client-tls-key). */
export interface ClientTls {
  certificate: RotatingCertificate;
  /** Refuse startups that did not upgrade to TLS (--client-tls-required). */
  required: boolean;
}
