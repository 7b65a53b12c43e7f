// Proves the test toolchain loads the ESM-only dependencies the operator and sidecar use,
// exactly as Node 24 does at run time.
import * as jose from 'jose';
import * as k8s from '@kubernetes/client-node';

describe('toolchain', () => {
  it('runs on Node 24', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });

  it('signs and verifies a JWT with jose', async () => {
    const { publicKey, privateKey } = await jose.generateKeyPair('ES256');
    const token = await new jose.SignJWT({ groups: ['dba'] })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer('https://issuer.test')
      .setAudience('portcullis')
      .setExpirationTime('1m')
      .sign(privateKey);

    const { payload } = await jose.jwtVerify(token, publicKey, {
      issuer: 'https://issuer.test',
      audience: 'portcullis',
    });
    expect(payload.groups).toEqual(['dba']);
  });

  it('builds a Kubernetes client from a kubeconfig object', () => {
    const config = new k8s.KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false }],
      users: [{ name: 'u', token: 'not-a-real-token' }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
      currentContext: 'ctx',
    });
    expect(config.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    expect(config.makeApiClient(k8s.CoreV1Api)).toBeInstanceOf(k8s.CoreV1Api);
  });
});
