import { createHash, createHmac, pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/**
 * The SCRAM-SHA-256 building blocks of RFC 5802 section 3 with SHA-256 (RFC 7677).
 * NOTE: passwords are not SASLprep-normalised; the gate only uses SCRAM with passwords it
 * generated itself (base64url, ASCII), for which SASLprep is the identity.
 */
export const SCRAM_MECHANISM = 'SCRAM-SHA-256';

/** Hi(password, salt, i): PBKDF2 with HMAC-SHA-256, one 32-byte block. */
export function saltedPassword(
  password: string,
  salt: Buffer,
  iterations: number,
): Promise<Buffer> {
  return pbkdf2Async(password, salt, iterations, 32, 'sha256');
}

export function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}

export function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

/** ClientKey, StoredKey and ServerKey derived from a salted password. */
export function scramKeys(salted: Buffer): {
  clientKey: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
} {
  const clientKey = hmac(salted, 'Client Key');
  return { clientKey, storedKey: sha256(clientKey), serverKey: hmac(salted, 'Server Key') };
}
