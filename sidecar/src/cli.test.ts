import { describe, expect, it } from '@jest/globals';
import { parseSidecarArgs, UsageError } from './cli.js';

describe('parseSidecarArgs', () => {
  it('reads standalone mode from --policies', () => {
    const args = parseSidecarArgs(['--policies', '/etc/portcullis', '--first-port', '6432']);
    expect(args).toMatchObject({
      policies: '/etc/portcullis',
      operator: undefined,
      firstPort: 6432,
    });
  });

  it('reads Kubernetes mode as the webhook injects it', () => {
    const args = parseSidecarArgs([
      '--operator-url',
      'https://portcullis.portcullis-system.svc:443',
      '--token-file',
      '/var/run/secrets/portcullis/token',
      '--identity',
      'system:serviceaccount:shop:orders',
      '--metrics-port',
      '9464',
      '--metrics-host',
      '0.0.0.0',
      '--log-level',
      'info',
    ]);
    expect(args).toMatchObject({
      policies: '',
      operator: {
        url: 'https://portcullis.portcullis-system.svc:443',
        tokenFile: '/var/run/secrets/portcullis/token',
        caFile: undefined,
      },
      identity: 'system:serviceaccount:shop:orders',
      metricsPort: 9464,
      metricsHost: '0.0.0.0',
    });
  });

  it('reads the client TLS files, and refuses clients in the clear only when told', () => {
    const tls = ['--policies', 'd', '--client-tls-cert', 'c.pem', '--client-tls-key', 'k.pem'];
    expect(parseSidecarArgs(['--policies', 'd']).clientTls).toBeUndefined();
    expect(parseSidecarArgs(tls).clientTls).toEqual({
      certFile: 'c.pem',
      keyFile: 'k.pem',
      required: false,
    });
    expect(parseSidecarArgs([...tls, '--client-tls-required']).clientTls).toEqual({
      certFile: 'c.pem',
      keyFile: 'k.pem',
      required: true,
    });
  });

  it.each([
    [[], /either --policies DIR or --operator-url URL/],
    [['--policies', 'd', '--operator-url', 'https://o'], /either --policies DIR or --operator-url/],
    [['--operator-url', 'https://o'], /--operator-url needs --token-file/],
    [['--policies', 'd', '--first-port', 'x'], /"x" is not a port number/],
    [['--policies', 'd', '--token-file', 't'], /--token-file only applies in Kubernetes mode/],
    [['--policies', 'd', '--ca-file', 'c'], /--ca-file only applies in Kubernetes mode/],
    [
      ['--operator-url', 'https://o', '--token-file', 't', '--approvals-dir', 'a'],
      /--approvals-dir only applies in standalone mode/,
    ],
    [['--policies', 'd', '--client-tls-cert', 'c'], /both --client-tls-cert FILE and --client-/],
    [['--policies', 'd', '--client-tls-key', 'k'], /both --client-tls-cert FILE and --client-/],
    [
      ['--policies', 'd', '--client-tls-required'],
      /--client-tls-required needs --client-tls-cert and --client-tls-key/,
    ],
    [
      ['--policies', 'd', '--client-tls-cert', '', '--client-tls-key', 'k'],
      /--client-tls-cert and --client-tls-key want file names/,
    ],
  ])('refuses %j', (argv, message) => {
    expect(() => parseSidecarArgs(argv)).toThrow(UsageError);
    expect(() => parseSidecarArgs(argv)).toThrow(message);
  });
});
