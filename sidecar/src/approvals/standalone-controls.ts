import type { Logger } from 'pino';
import type { GateMetrics } from '../observability/gate-metrics.js';
import type { PolicySnapshot } from '../policy/policy-source.js';
import { RecordWriter } from '../recording/record-writer.js';
import { LocalApprovalChannel } from './local-channel.js';
import { sessionControls, type SessionControlsFactory } from './session-controls.js';

/** What standalone mode (`portcullis-sidecar --policies DIR`) configures. */
export interface StandaloneControlsOptions {
  policies: () => PolicySnapshot;
  /** The approval queue (`--approvals-dir`). */
  approvalsDir: string;
  /** `--record FILE`; "-" for stdout; nothing is recorded when absent. */
  record?: string | undefined;
  metrics?: GateMetrics | undefined;
  logger: Logger;
}

/** Session controls of a standalone gate, and what to close when it stops. */
export interface StandaloneControls {
  controls: SessionControlsFactory;
  /** Flushes the recording. */
  close(): Promise<void>;
}

/** The local approval queue, the recording writer and shared row budgets for one gate. */
export function standaloneControls(options: StandaloneControlsOptions): StandaloneControls {
  const { policies, logger } = options;
  const approvals = new LocalApprovalChannel({
    dir: options.approvalsDir,
    logger,
    policyFor: (ask) =>
      policies().policies.find(
        (p) => p.metadata.name === ask.policy && p.spec.dataSourceRef.name === ask.dataSource,
      ),
  });
  const writer =
    options.record === undefined
      ? undefined
      : new RecordWriter({ logger, ...(options.record === '-' ? {} : { file: options.record }) });
  return {
    controls: sessionControls({
      approvals,
      ...(writer ? { recording: writer } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    }),
    close: async () => writer?.close(),
  };
}
