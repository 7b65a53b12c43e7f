import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A self-signed certificate for localhost and 127.0.0.1 that also serves as its own CA. */
export interface SelfSignedCertificate {
  certFile: string;
  keyFile: string;
  /** PEM text of the certificate: the CA a verify-full client trusts. */
  certPem: string;
}

/** Creates a one-day self-signed certificate in dir with openssl. */
export async function createSelfSignedCertificate(dir: string): Promise<SelfSignedCertificate> {
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-days',
    '1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
  ]);
  return { certFile, keyFile, certPem: await readFile(certFile, 'utf8') };
}
