// Names the injection writes into pods. The bundle endpoint checks a caller's pod against the
// same names, so they live in one place.

/** Pod label that opts a pod in; the webhook configuration's objectSelector matches it. */
export const INJECT_LABEL = 'portcullis.dev/inject';
/** Pod annotation recording, as JSON, what the injection added. */
export const INJECTED_ANNOTATION = 'portcullis.dev/injected';
/** Prefix of the pod annotations that override the sidecar's resources and log level. */
export const SIDECAR_ANNOTATION_PREFIX = 'portcullis.dev/sidecar-';
/** Pod annotation naming a kubernetes.io/tls Secret the gate serves TLS to the app with. */
export const CLIENT_TLS_ANNOTATION = 'portcullis.dev/client-tls-secret';

/** Name of the injected gate container. */
export const SIDECAR_CONTAINER = 'portcullis-gate';
/** Projected volume with the sidecar's service-account token; mounted in the sidecar only. */
export const TOKEN_VOLUME = 'portcullis-token';
/** Memory-backed scratch space, since the sidecar's root filesystem is read-only. */
export const SCRATCH_VOLUME = 'portcullis-tmp';
/** The Secret of the client-tls-secret annotation; mounted in the sidecar only. */
export const CLIENT_TLS_VOLUME = 'portcullis-client-tls';
export const CLIENT_TLS_DIR = '/var/run/secrets/portcullis-client-tls';
/** Audience of the projected token; the bundle endpoint's TokenReview asks for it. */
export const TOKEN_AUDIENCE = 'portcullis.dev';
export const TOKEN_DIR = '/var/run/secrets/portcullis';
export const TOKEN_FILE = `${TOKEN_DIR}/token`;

/** Env var carrying the PEM CA that signed the operator's serving certificate. */
export const OPERATOR_CA_ENV = 'PORTCULLIS_OPERATOR_CA';

// The sidecar assigns its ports by the same rule, so it lives with the API types.
export { FIRST_GATE_PORT } from '@portcullis/crds';
