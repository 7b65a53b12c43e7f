import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hmac, saltedPassword, scramKeys, xor } from './scram-primitives.js';

/** Raised when the server's SCRAM messages are malformed or its signature does not verify. */
export class ScramError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ScramError';
  }
}

// GS2 header "n,,": no channel binding, no authorization identity. Its base64 is "biws".
const GS2_HEADER = 'n,,';

/**
 * The client side of one SCRAM-SHA-256 exchange (RFC 5802, RFC 7677) as PostgreSQL runs it:
 * the user name in the SCRAM messages is ignored by the server, which uses the startup one.
 * https://www.postgresql.org/docs/current/sasl-authentication.html
 */
export class ScramClient {
  private readonly clientNonce: string;
  private readonly clientFirstBare: string;
  private expectedServerSignature: Buffer | undefined;

  /**
   * user and nonce exist for the RFC's test vectors; PostgreSQL ignores the SCRAM user name
   * and the nonce must be fresh randomness otherwise.
   */
  constructor(
    private readonly password: string,
    options: { user?: string; nonce?: string } = {},
  ) {
    this.clientNonce = options.nonce ?? randomBytes(18).toString('base64');
    this.clientFirstBare = `n=${options.user ?? ''},r=${this.clientNonce}`;
  }

  /** client-first-message, the data of SASLInitialResponse. */
  clientFirstMessage(): string {
    return GS2_HEADER + this.clientFirstBare;
  }

  /** Takes server-first-message (AuthenticationSASLContinue) and returns client-final-message. */
  async clientFinalMessage(serverFirst: string): Promise<string> {
    const attributes = parseAttributes(serverFirst);
    const nonce = attributes.get('r');
    const salt = attributes.get('s');
    const iterations = Number(attributes.get('i'));
    if (nonce === undefined || salt === undefined || !Number.isInteger(iterations)) {
      throw new ScramError('server-first-message lacks r, s or i');
    }
    if (!nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw new ScramError('server nonce does not extend the client nonce');
    }
    if (iterations < 1) throw new ScramError(`invalid iteration count ${iterations}`);

    const salted = await saltedPassword(this.password, Buffer.from(salt, 'base64'), iterations);
    const { clientKey, storedKey, serverKey } = scramKeys(salted);
    const withoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;

    const proof = xor(clientKey, hmac(storedKey, authMessage));
    this.expectedServerSignature = hmac(serverKey, authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Checks server-final-message (AuthenticationSASLFinal); throws unless the server proved itself. */
  verifyServerFinal(serverFinal: string): void {
    const attributes = parseAttributes(serverFinal);
    const error = attributes.get('e');
    if (error !== undefined) throw new ScramError(`server refused SCRAM: ${error}`);

    const signature = Buffer.from(attributes.get('v') ?? '', 'base64');
    const expected = this.expectedServerSignature;
    if (expected === undefined) throw new ScramError('server-final-message came too early');
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new ScramError(
        'server signature does not verify: the server does not know the password',
      );
    }
  }
}

/** Splits `a=1,b=2` into its attributes; values may themselves contain "=". */
function parseAttributes(message: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) continue;
    attributes.set(part.slice(0, 1), part.slice(2));
  }
  return attributes;
}
