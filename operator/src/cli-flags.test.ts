import { FlagError, parseFlags, usage } from './cli-flags.js';

describe('parseFlags', () => {
  it('applies the defaults of the contract', () => {
    const flags = parseFlags(['--namespace', 'portcullis-system'], {});
    expect(flags).toMatchObject({
      namespace: 'portcullis-system',
      httpsPort: 8443,
      metricsPort: 9090,
      certMode: 'self',
      leaseName: 'portcullis-operator',
      leaseDurationSeconds: 15,
      logLevel: 'info',
      bundleUrl: 'https://portcullis-operator.portcullis-system.svc:443',
      excludedNamespaces: ['kube-system', 'portcullis-system'],
    });
    expect(flags.identity).toMatch(/-\d+$/);
  });

  it('prefers a flag to its environment variable, and the variable to the default', () => {
    const env = { PORTCULLIS_HTTPS_PORT: '9443', PORTCULLIS_METRICS_PORT: '9191' };
    const flags = parseFlags(['--namespace', 'ops', '--https-port', '10443'], env);
    expect(flags.httpsPort).toBe(10443);
    expect(flags.metricsPort).toBe(9191);
  });

  it('collects repeatable flags, and reads their variables as JSON or a comma list', () => {
    const flags = parseFlags(
      ['--namespace', 'ops', '--extra-san', '127.0.0.1', '--extra-san', 'localhost'],
      {
        PORTCULLIS_SIDECAR_COMMAND: '["node", "/app/sidecar.js", "--verbose"]',
        PORTCULLIS_EXCLUDED_NAMESPACE: 'monitoring, ops',
      },
    );
    expect(flags.extraSans).toEqual(['127.0.0.1', 'localhost']);
    expect(flags.sidecarCommand).toEqual(['node', '/app/sidecar.js', '--verbose']);
    expect(flags.excludedNamespaces).toEqual(['kube-system', 'ops', 'monitoring']);
  });

  it('gives the gate the documented defaults: no CPU limit, port 5432, info logging', () => {
    const flags = parseFlags(['--namespace', 'ops'], {});
    expect(flags.sidecar).toEqual({
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
      logLevel: 'info',
    });
    expect(flags.sidecarFirstPort).toBe(5432);
    expect(flags.sidecarRecord).toBe('-');
  });

  it('records nothing with an empty --sidecar-record', () => {
    expect(parseFlags(['--namespace=ops', '--sidecar-record='], {}).sidecarRecord).toBeUndefined();
    const env = { PORTCULLIS_SIDECAR_RECORD: '' };
    expect(parseFlags(['--namespace=ops'], env).sidecarRecord).toBeUndefined();
  });

  it('takes the gate defaults from flags and env, an empty limit meaning none', () => {
    const flags = parseFlags(
      [
        '--namespace=ops',
        '--sidecar-cpu-request=100m',
        '--sidecar-cpu-limit=1',
        '--sidecar-memory-limit=',
        '--sidecar-first-port=6432',
      ],
      { PORTCULLIS_SIDECAR_MEMORY_REQUEST: '96Mi', PORTCULLIS_SIDECAR_LOG_LEVEL: 'debug' },
    );
    expect(flags.sidecar).toEqual({
      resources: { requests: { cpu: '100m', memory: '96Mi' }, limits: { cpu: '1' } },
      logLevel: 'debug',
    });
    expect(flags.sidecarFirstPort).toBe(6432);
  });

  it('takes the namespace from POD_NAMESPACE, and requires one', () => {
    expect(parseFlags([], { POD_NAMESPACE: 'from-downward-api' }).namespace).toBe(
      'from-downward-api',
    );
    expect(() => parseFlags([], {})).toThrow(FlagError);
  });

  it.each([
    [['--cert-mode', 'acme']],
    [['--https-port', 'eighty']],
    [['--native-sidecars', 'maybe']],
    [['--sidecar-log-level', 'verbose']],
    [['--sidecar-cpu-request', 'lots']],
    [['--sidecar-memory-request', '']],
    [['--sidecar-memory-limit', '1 GB']],
    [['--sidecar-first-port', '0']],
    [['--sidecar-first-port', '70000']],
  ])('refuses %j', (args) => {
    expect(() => parseFlags(['--namespace', 'ops', ...args], {})).toThrow(FlagError);
  });

  it('says which flag holds a bad gate default, and why', () => {
    expect(() => parseFlags(['--namespace=ops', '--sidecar-cpu-limit=lots'], {})).toThrow(
      '--sidecar-cpu-limit="lots": must be a quantity such as 100m, 0.5, 128Mi or 1Gi',
    );
  });

  it('refuses an unknown flag', () => {
    expect(() => parseFlags(['--namespace', 'ops', '--no-such-flag'], {})).toThrow();
  });

  it('lists every flag with its environment variable', () => {
    expect(usage()).toContain(
      '--lease-name STRING (default portcullis-operator)  [env PORTCULLIS_LEASE_NAME]',
    );
  });
});
