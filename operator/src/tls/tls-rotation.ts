import {
  certificateFacts,
  generateCa,
  isSignedBy,
  issueServingCertificate,
  type KeyPair,
} from './certificates.js';

const DAY_MS = 86_400_000;

/** How long certificates live and how early they are replaced. */
export interface RotationPolicy {
  caValidityMs: number;
  servingValidityMs: number;
  /** A CA with less left than this is replaced; longer than any serving certificate lives. */
  renewCaBeforeMs: number;
  renewServingBeforeMs: number;
}

/**
 * Ten years for the CA, renewed a year before it ends so no serving certificate outlives it;
 * one year for the serving certificate, renewed 30 days ahead, leaving a month of retries.
 */
export const DEFAULT_ROTATION: RotationPolicy = {
  caValidityMs: 3650 * DAY_MS,
  servingValidityMs: 365 * DAY_MS,
  renewCaBeforeMs: 365 * DAY_MS,
  renewServingBeforeMs: 30 * DAY_MS,
};

/** Keys of the TLS Secret. tls.crt and tls.key make it a valid kubernetes.io/tls Secret. */
export const TlsSecretKeys = {
  cert: 'tls.crt',
  key: 'tls.key',
  /** Every CA a client should trust: the signing CA, and the one before it while it lives. */
  trustBundle: 'ca.crt',
  caCert: 'ca-signing.crt',
  caKey: 'ca.key',
} as const;

/** The material in the Secret, PEM text by key. */
export type TlsSecretData = Record<(typeof TlsSecretKeys)[keyof typeof TlsSecretKeys], string>;

/** Splits a PEM bundle into its certificates. */
export function splitPemBundle(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

function remainingMs(pem: string, now: Date): number {
  return certificateFacts(pem).notAfter.getTime() - now.getTime();
}

/**
 * NOTE: after a CA change the serving certificate is signed by the new CA only, so a sidecar
 * started earlier, whose injected env holds just the old CA, fails its bundle polls (and
 * keeps its last bundle) until its pod is recreated. The CA is replaced a year before it
 * ends, once a decade; pods rarely live that long.
 *
 * The TLS Secret's next content, or undefined when what it holds is still good: a CA with
 * enough time left, and a serving certificate from that CA, far from expiry, naming every
 * wanted SAN. A replaced CA stays in the trust bundle until it expires, so sidecars and the
 * API server holding the old bundle keep working during the change.
 */
export async function nextTlsData(
  existing: Partial<TlsSecretData> | undefined,
  wantedSans: readonly string[],
  now: Date,
  policy: RotationPolicy = DEFAULT_ROTATION,
): Promise<TlsSecretData | undefined> {
  const caCert = existing?.[TlsSecretKeys.caCert];
  const caKey = existing?.[TlsSecretKeys.caKey];
  let kept: KeyPair | undefined;
  if (caCert !== undefined && caKey !== undefined) {
    if (remainingMs(caCert, now) > policy.renewCaBeforeMs)
      kept = { certPem: caCert, keyPem: caKey };
  }
  const caChanged = kept === undefined;
  const ca = kept ?? (await generateCa('portcullis-webhook-ca', now, policy.caValidityMs));

  let serving: KeyPair | undefined;
  const cert = existing?.[TlsSecretKeys.cert];
  const key = existing?.[TlsSecretKeys.key];
  if (!caChanged && cert !== undefined && key !== undefined) {
    const facts = certificateFacts(cert);
    const fresh = remainingMs(cert, now) > policy.renewServingBeforeMs;
    const named = wantedSans.every((san) => facts.sans.includes(san));
    if (fresh && named && (await isSignedBy(cert, ca.certPem)))
      serving = { certPem: cert, keyPem: key };
  }
  if (!caChanged && serving !== undefined) return undefined;
  serving ??= await issueServingCertificate(ca, wantedSans, now, policy.servingValidityMs);

  const previous = splitPemBundle(existing?.[TlsSecretKeys.trustBundle] ?? '').filter(
    (pem) => pem.trim() !== ca.certPem.trim() && remainingMs(pem, now) > 0,
  );
  const trust = [ca.certPem, ...previous].map((pem) => pem.trim() + '\n').join('');
  return {
    [TlsSecretKeys.cert]: serving.certPem,
    [TlsSecretKeys.key]: serving.keyPem,
    [TlsSecretKeys.trustBundle]: trust,
    [TlsSecretKeys.caCert]: ca.certPem,
    [TlsSecretKeys.caKey]: ca.keyPem,
  };
}
