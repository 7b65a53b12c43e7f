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
  ])('refuses %j', (argv, message) => {
    expect(() => parseSidecarArgs(argv)).toThrow(UsageError);
    expect(() => parseSidecarArgs(argv)).toThrow(message);
  });
});
