import type { DataSource } from '@portcullis/crds';
import pg from 'pg';
import type { ConditionUpdate } from '../kube/conditions.js';
import { checkMinter } from './minter-check.js';
import {
  minterClientConfig,
  readMinterLogin,
  SecretNotFoundError,
  type SecretReader,
} from './minter-login.js';
import { reapExpiredRoles, type ReapResult } from './role-reaper.js';

/** Reasons of a DataSource's Ready condition. */
export const DataSourceReason = {
  ready: 'Ready',
  secretNotFound: 'SecretNotFound',
  loginFailed: 'LoginFailed',
  cannotCreateRoles: 'CannotCreateRoles',
  roleNotGrantable: 'RoleNotGrantable',
} as const;

/** What one look at a DataSource's server found. */
export interface DataSourceProbe {
  ready: ConditionUpdate;
  serverVersion?: string;
  mintedRoles?: number;
  /** Set when reaping ran: the roles dropped and those that could not be. */
  reap?: ReapResult;
}

export interface ProbeOptions {
  secrets: SecretReader;
  /** Drop expired minted roles while logged in (the leader does; nobody else writes). */
  reap: boolean;
  reapGraceSeconds?: number;
}

function notReady(reason: string, message: string): ConditionUpdate {
  return { type: 'Ready', status: 'False', reason, message };
}

/**
 * Logs in as the DataSource's minter and checks it can do its job: create roles and grant
 * each grantable role. Optionally reaps expired minted roles on the way. Never throws for a
 * problem of the DataSource; the answer is the Ready condition to report.
 */
export async function probeDataSource(
  dataSource: DataSource,
  options: ProbeOptions,
): Promise<DataSourceProbe> {
  let login;
  try {
    login = readMinterLogin(dataSource, options.secrets);
  } catch (err) {
    if (err instanceof SecretNotFoundError) {
      return { ready: notReady(DataSourceReason.secretNotFound, err.message) };
    }
    throw err;
  }

  const client = new pg.Client(minterClientConfig(dataSource, login));
  // An idle client whose server goes away emits 'error'; without a listener Node would crash.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return {
      ready: notReady(
        DataSourceReason.loginFailed,
        `minter ${login.username} cannot log in to ${dataSource.spec.host}:` +
          `${dataSource.spec.port}/${dataSource.spec.database}: ${reason}`,
      ),
    };
  }

  try {
    const before = await checkMinter(client, dataSource.spec);
    const probe: DataSourceProbe = { ready: readiness(before, login.username) };
    probe.serverVersion = before.serverVersion;
    probe.mintedRoles = before.mintedRoles;
    if (options.reap && before.canCreateRoles) {
      probe.reap = await reapExpiredRoles(client, {
        prefix: dataSource.spec.minter.roleNamePrefix,
        graceSeconds: options.reapGraceSeconds,
      });
      if (probe.reap.reaped.length > 0) probe.mintedRoles -= probe.reap.reaped.length;
    }
    return probe;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function readiness(
  capabilities: Awaited<ReturnType<typeof checkMinter>>,
  minter: string,
): ConditionUpdate {
  if (!capabilities.canCreateRoles) {
    return notReady(
      DataSourceReason.cannotCreateRoles,
      `minter ${minter} lacks CREATEROLE; run ALTER ROLE ${minter} CREATEROLE`,
    );
  }
  if (capabilities.missingRoles.length > 0) {
    return notReady(
      DataSourceReason.roleNotGrantable,
      `grantable roles do not exist: ${capabilities.missingRoles.join(', ')}`,
    );
  }
  if (capabilities.ungrantableRoles.length > 0) {
    const advice =
      capabilities.serverVersionNum >= 160000
        ? `GRANT each to ${minter} WITH ADMIN OPTION; superuser roles are never grantable`
        : 'superuser roles are never grantable';
    return notReady(
      DataSourceReason.roleNotGrantable,
      `minter ${minter} may not grant: ${capabilities.ungrantableRoles.join(', ')} (${advice})`,
    );
  }
  return {
    type: 'Ready',
    status: 'True',
    reason: DataSourceReason.ready,
    message: `minter ${minter} logs in, may create roles and may grant every grantable role`,
  };
}
