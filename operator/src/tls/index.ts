// Where the operator's serving certificate comes from: its own CA, or files kept by others.
export { SelfManagedTls, type SelfManagedTlsOptions } from './self-managed-tls.js';
export { FileTls, type FileTlsOptions } from './file-tls.js';
export type { ServingMaterial, ServingTls } from './serving-tls.js';
export { serviceSans } from './certificates.js';
export { DEFAULT_ROTATION, type RotationPolicy } from './tls-rotation.js';
