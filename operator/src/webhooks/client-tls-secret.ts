import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { objectNameSchema } from '@portcullis/crds';
import { CLIENT_TLS_ANNOTATION, CLIENT_TLS_DIR, CLIENT_TLS_VOLUME } from './injection-names.js';

// The keys of a kubernetes.io/tls Secret.
// https://kubernetes.io/docs/concepts/configuration/secret/#tls-secrets
const CERT_KEY = 'tls.crt';
const KEY_KEY = 'tls.key';

/**
 * The Secret the pod's `portcullis.dev/client-tls-secret` annotation names (undefined
 * without one), or what is wrong with its value. The Secret lives in the pod's namespace, as
 * every Secret a pod mounts does.
 */
export function clientTlsSecretFor(
  annotations: Record<string, string> | undefined,
): { secret: string | undefined } | { problem: string } {
  const value = annotations?.[CLIENT_TLS_ANNOTATION];
  if (value === undefined) return { secret: undefined };
  if (!objectNameSchema.safeParse(value).success) {
    return {
      problem:
        `annotation ${CLIENT_TLS_ANNOTATION}="${value}": must name a Secret in the pod's ` +
        'namespace (a DNS-1123 subdomain: lower-case letters, digits, "-" and ".")',
    };
  }
  return { secret: value };
}

/** The gate's flags for the mounted certificate and key. */
export function clientTlsArgs(): string[] {
  return [
    '--client-tls-cert',
    `${CLIENT_TLS_DIR}/${CERT_KEY}`,
    '--client-tls-key',
    `${CLIENT_TLS_DIR}/${KEY_KEY}`,
  ];
}

/** Where the gate mounts the Secret: read-only, its whole directory, no subPath. */
export function clientTlsMount(): V1VolumeMount {
  // A subPath mount would never see a renewed certificate; kubelet updates only whole
  // Secret volumes, by swapping a symlink.
  return { name: CLIENT_TLS_VOLUME, mountPath: CLIENT_TLS_DIR, readOnly: true };
}

/**
 * The volume of the Secret, with only its certificate and key. Not optional: kubelet holds the
 * pod until the Secret exists, so the gate never starts without its certificate.
 */
export function clientTlsVolume(secret: string): V1Volume {
  return {
    name: CLIENT_TLS_VOLUME,
    secret: {
      secretName: secret,
      items: [
        { key: CERT_KEY, path: CERT_KEY },
        { key: KEY_KEY, path: KEY_KEY },
      ],
    },
  };
}
