import { accessPolicySchema, dataSourceSchema } from '@portcullis/crds';
import { pino } from 'pino';
import type { RecordEvent } from '../recording/record-event.js';
import type { RecordSink } from '../recording/record-writer.js';
import { sessionControls, type SessionContext } from './session-controls.js';

const dataSource = dataSourceSchema.parse({
  apiVersion: 'portcullis.dev/v1alpha1',
  kind: 'DataSource',
  metadata: { name: 'orders', namespace: 'shop' },
  spec: {
    host: 'db',
    database: 'orders',
    minter: { secretRef: { name: 'minter' }, grantableRoles: ['app_rw'] },
  },
});

function context(spec: Record<string, unknown> = {}): SessionContext {
  const policy = accessPolicySchema.parse({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'AccessPolicy',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      dataSourceRef: { name: 'orders' },
      workloadSelector: { matchLabels: { app: 'web' } },
      subjects: [{ serviceAccount: { name: 'web' } }],
      grant: { role: 'app_rw' },
      ...spec,
    },
  });
  return {
    sessionId: 's1',
    identity: {
      kind: 'serviceAccount',
      name: 'system:serviceaccount:shop:web',
      groups: [],
      claims: {},
    },
    decision: { policy, dataSource, rowShare: 1 },
    logger: pino({ level: 'silent' }),
    masking: false,
  };
}

class MemorySink implements RecordSink {
  readonly events: RecordEvent[] = [];
  write(event: RecordEvent): void {
    this.events.push(event);
  }
}

describe('sessionControls', () => {
  it('gives no controls to a session with nothing to record, hold or limit', () => {
    expect(sessionControls({})(context())).toBeUndefined();
    // Recording is on by default in a policy, but this gate writes no recording.
    expect(sessionControls({})(context({ recording: { enabled: true } }))).toBeUndefined();
    const sink = new MemorySink();
    expect(sessionControls({ recording: sink })(context({ recording: { enabled: false } }))).toBe(
      undefined,
    );
    expect(sink.events).toEqual([]);
  });

  const off = { recording: { enabled: false } };
  const approval = {
    rules: [{ classes: ['delete'] }],
    approvers: { users: ['alice'], groups: [] },
    timeout: '5m',
  };
  it.each([
    ['records', { recording: { enabled: true } }, true],
    ['routes statements to a human', { ...off, approval }, false],
    ['limits rows', { ...off, limits: { rowsPerMinute: 10 } }, false],
  ])('gives controls to a session whose policy %s', (_what, spec, records) => {
    const sink = new MemorySink();
    expect(sessionControls({ recording: sink })(context(spec))).toBeDefined();
    expect(sink.events.some((e) => e.type === 'session_start')).toBe(records);
  });
});
