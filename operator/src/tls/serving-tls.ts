/** The serving key pair of the operator's HTTPS server, and the CAs its clients should trust. */
export interface ServingMaterial {
  certPem: string;
  keyPem: string;
  /** PEM bundle of the CAs that sign certPem; undefined when unknown (files without a CA). */
  caPem: string | undefined;
}

/**
 * Where the HTTPS server's certificate comes from: the self-managed Secret, or files that
 * cert-manager (or anything else) keeps up to date. The server reloads on every change.
 */
export interface ServingTls {
  /** Resolves once material is available; rejects if the signal aborts first. */
  start(signal?: AbortSignal): Promise<void>;
  /** The latest material; only valid after start() resolved. */
  current(): ServingMaterial;
  /** Calls listener after every change of the material; returns the unsubscribe function. */
  onChange(listener: (material: ServingMaterial) => void): () => void;
  stop(): Promise<void>;
}
