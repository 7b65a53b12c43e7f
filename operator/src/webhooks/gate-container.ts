import type { V1Container, V1EnvVar, V1Volume } from '@kubernetes/client-node';
import { clientTlsArgs, clientTlsMount, clientTlsVolume } from './client-tls-secret.js';
import {
  FIRST_GATE_PORT,
  OPERATOR_CA_ENV,
  SCRATCH_VOLUME,
  SIDECAR_CONTAINER,
  TOKEN_AUDIENCE,
  TOKEN_DIR,
  TOKEN_FILE,
  TOKEN_VOLUME,
} from './injection-names.js';
import type { PodPatchConfig } from './pod-patch.js';
import type { SidecarSettings } from './sidecar-settings.js';

/**
 * The gate container for one pod: identity, probes, security context, mounts; with
 * clientTlsSecret, the flags and mount that serve TLS to the app from that Secret.
 */
export function gateContainer(
  config: PodPatchConfig,
  settings: SidecarSettings,
  identity: string,
  clientTlsSecret?: string,
): V1Container {
  const health = (path: string) => ({ httpGet: { path, port: config.healthPort } });
  const env: V1EnvVar[] = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  ];
  if (config.operatorCaPem !== undefined) {
    env.push({ name: OPERATOR_CA_ENV, value: config.operatorCaPem });
  }

  const container: V1Container = {
    name: SIDECAR_CONTAINER,
    image: config.image,
    ...(config.imagePullPolicy === undefined ? {} : { imagePullPolicy: config.imagePullPolicy }),
    ...(config.command === undefined ? {} : { command: config.command }),
    args: [
      '--operator-url',
      config.operatorUrl,
      '--token-file',
      TOKEN_FILE,
      // The pod's own service account: the identity of callers that present no token.
      '--identity',
      identity,
      '--metrics-port',
      String(config.healthPort),
      // kubelet probes the pod IP, not loopback.
      '--metrics-host',
      '0.0.0.0',
      '--log-level',
      settings.logLevel,
      ...(config.record === undefined ? [] : ['--record', config.record]),
      // Only when it differs, so a gate without the flag runs with the default.
      ...(config.firstPort === undefined || config.firstPort === FIRST_GATE_PORT
        ? []
        : ['--first-port', String(config.firstPort)]),
      ...(clientTlsSecret === undefined ? [] : clientTlsArgs()),
    ],
    env,
    ports: [{ name: 'gate-metrics', containerPort: config.healthPort, protocol: 'TCP' }],
    // The gate is ready once its first policy bundle loaded and its ports listen; kubelet
    // starts the app only after the startup probe of a native sidecar succeeded.
    startupProbe: { ...health('/readyz'), periodSeconds: 1, failureThreshold: 120 },
    readinessProbe: { ...health('/readyz'), periodSeconds: 5 },
    livenessProbe: { ...health('/healthz'), periodSeconds: 10, failureThreshold: 3 },
    resources: structuredClone(settings.resources),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: config.runAsUser,
      runAsGroup: config.runAsUser,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [
      { name: TOKEN_VOLUME, mountPath: TOKEN_DIR, readOnly: true },
      { name: SCRATCH_VOLUME, mountPath: '/tmp' },
      ...(clientTlsSecret === undefined ? [] : [clientTlsMount()]),
    ],
  };

  if (config.nativeSidecars) {
    container.restartPolicy = 'Always';
  } else {
    // kubelet starts containers in order and waits for each postStart hook, so the app
    // containers after the gate start once it is ready.
    container.lifecycle = {
      postStart: { exec: { command: config.postStartWaitCommand ?? waitCommand(config) } },
    };
  }
  return container;
}

function waitCommand(config: PodPatchConfig): string[] {
  // The gate's image is a Node image, so node is there to poll /readyz for up to 2 minutes.
  const script =
    'const port = process.argv[1]; const deadline = Date.now() + 120000;' +
    'const retry = () => Date.now() > deadline ? process.exit(1) : setTimeout(poll, 250);' +
    'function poll() { require("http").get(`http://127.0.0.1:${port}/readyz`, (r) => {' +
    ' r.resume(); r.statusCode === 200 ? process.exit(0) : retry(); }).on("error", retry); }' +
    'poll();';
  return ['node', '-e', script, String(config.healthPort)];
}

/**
 * The volumes the gate mounts: its projected token, a memory-backed /tmp, and the client TLS
 * Secret when the pod names one.
 */
export function gateVolumes(config: PodPatchConfig, clientTlsSecret?: string): V1Volume[] {
  const volumes: V1Volume[] = [
    {
      name: TOKEN_VOLUME,
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: TOKEN_AUDIENCE,
              expirationSeconds: config.tokenExpirationSeconds,
              path: 'token',
            },
          },
        ],
      },
    },
    { name: SCRATCH_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
  ];
  if (clientTlsSecret !== undefined) volumes.push(clientTlsVolume(clientTlsSecret));
  return volumes;
}
