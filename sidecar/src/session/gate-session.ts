import { parseDuration } from '@portcullis/crds';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { MinterRegistry } from '../credentials/minter-registry.js';
import type { MintedRole, RoleMinter } from '../credentials/role-minter.js';
import type { SessionControls, SessionControlsFactory } from '../approvals/session-controls.js';
import { ClientTlsHandshakeError, type ClientTls } from '../client-tls/index.js';
import { cancelUpstream } from '../credentials/upstream-cancel.js';
import { loginUpstream, type UpstreamConnection } from '../credentials/upstream-login.js';
import type { UpstreamTarget } from '../credentials/upstream-socket.js';
import { upstreamTls } from '../credentials/upstream-tls.js';
import { GateError, internalError, SqlState } from '../errors/gate-error.js';
import type { Authenticator, Identity } from '../identity/identity.js';
import type { GateMetrics, SessionOutcome } from '../observability/gate-metrics.js';
import { describeIdentity } from '../identity/identity.js';
import { decide, qualifiedName, type Decision } from '../policy/decision.js';
import type { PolicySnapshot } from '../policy/policy-source.js';
import {
  authenticationOk,
  backendKeyData,
  errorResponse,
  readyForQuery,
} from '../wire/backend-messages.js';
import { FrameReader } from '../wire/frame-reader.js';
import { FrameSource, FrameSourceClosedError } from '../wire/frame-source.js';
import { TransactionStatus } from '../wire/message-codes.js';
import type { CancelRegistry } from './cancel-registry.js';
import { SessionRelay } from './session-relay.js';
import { asFatal, sessionEnded } from './session-errors.js';
import type { SessionHooks } from './session-hooks.js';
import type { SessionMasking } from '../masking/session-masking.js';
import { SessionPhase } from './session-phase.js';
import { startupHandshake } from './startup-handshake.js';
import { forwardedStartupParameters, parameterStatusProblem } from './startup-parameters.js';
import { readParameterStatus } from '../wire/backend-decoders.js';

/** Limits that protect the gate from its clients and servers. */
export interface SessionLimits {
  /** Largest message body accepted from either side. */
  maxMessageSize: number;
  /** How long a client may take to complete the startup phase. */
  startupTimeoutMs: number;
}

/** What a session needs from the gate around it. */
export interface GateSessionOptions {
  client: Socket;
  /** Name of the DataSource this listener serves. */
  dataSource: string;
  authenticator: Authenticator;
  policies: () => PolicySnapshot;
  minters: MinterRegistry;
  cancels: CancelRegistry;
  hooks: SessionHooks;
  /** Approvals, row limits and recording; none when absent. */
  controls?: SessionControlsFactory;
  logger: Logger;
  limits: SessionLimits;
  /** Counters and histograms of the gate, when it exports metrics. */
  metrics?: GateMetrics | undefined;
  /** TLS for clients that ask for it; SSLRequest is refused without it. */
  clientTls?: ClientTls | undefined;
}

/**
 * One client connection, from startup to the dropped role: authenticate, decide, mint, log
 * in upstream, relay, end. Every failure ends only this session.
 */
export class GateSession {
  readonly id = randomUUID();
  private phase: SessionPhase = SessionPhase.startup;
  private readonly logger: Logger;
  /** The connection as it is now: the TLS socket once the client upgraded. */
  private client: Socket;
  private readonly startedAt = Date.now();
  private minter: RoleMinter | undefined;
  private role: MintedRole | undefined;
  private upstream: UpstreamConnection | undefined;
  private target: UpstreamTarget | undefined;
  private relay: SessionRelay | undefined;
  private controls: SessionControls | undefined;
  private releaseKey: (() => void) | undefined;
  private lifetime: NodeJS.Timeout | undefined;
  private endReason = 'client left';
  /** Did the client upgrade to TLS? */
  private encrypted = false;
  private identity: Identity | undefined;
  private decision: Decision | undefined;
  private outcome: SessionOutcome | undefined;
  /** Resolves once the session has ended and its role is dropped. */
  readonly done: Promise<void>;
  private finish!: () => void;

  constructor(private readonly options: GateSessionOptions) {
    this.client = options.client;
    this.logger = options.logger.child({ session: this.id });
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.client.setNoDelay(true);
    this.watchClient();
  }

  /** Runs the session to its end; never rejects. */
  async run(): Promise<void> {
    try {
      await this.open();
    } catch (error) {
      await this.end(this.clientError(error));
    }
    await this.done;
  }

  /** Ends the session, telling the client why when reason is given; resolves when cleaned up. */
  async end(reason?: GateError): Promise<void> {
    if (this.phase === SessionPhase.ending || this.phase === SessionPhase.ended) {
      return this.done;
    }
    const relaying = this.phase === SessionPhase.relaying;
    this.phase = SessionPhase.ending;
    if (reason) this.endReason = reason.message;
    clearTimeout(this.lifetime);
    this.releaseKey?.();
    this.relay?.stop();

    if (reason && !this.client.destroyed) this.client.end(errorResponse(reason));
    else this.client.end();
    setTimeout(() => this.client.destroy(), 1_000).unref();
    this.upstream?.socket.destroy();
    this.controls?.end(this.endReason);

    await this.dropRole();
    this.phase = SessionPhase.ended;
    this.countEnd(relaying);
    this.logger.info(
      {
        reason: this.endReason,
        relayed: relaying,
        durationMs: Date.now() - this.startedAt,
      },
      'session ended',
    );
    this.finish();
  }

  /**
   * Re-decides the session under new policies; ends it (FATAL 57P01) when its policy no longer
   * admits it or another policy would now decide. Called on every policy change.
   */
  async recheck(snapshot: PolicySnapshot): Promise<void> {
    const { identity, decision } = this;
    if (!identity || !decision || this.phase !== SessionPhase.relaying) return;
    const policy = qualifiedName(decision.policy);
    let still = false;
    try {
      const next = decide(snapshot, identity, this.options.dataSource);
      still = qualifiedName(next.policy) === policy && sameSpec(next, decision);
      // Pods came or went: the row limit's split changes, the session goes on.
      if (still) this.controls?.shareRows(next.rowShare);
    } catch (error) {
      if (!(error instanceof GateError)) throw error;
    }
    if (still) return;
    await this.end(
      sessionEnded(
        `session ended by Portcullis: policy ${policy} was changed or withdrawn`,
        'connect again to be decided under the current policies',
      ),
    );
  }

  /** Passes a client's CancelRequest to the upstream backend with its real key. */
  async cancel(): Promise<void> {
    const { upstream, target } = this;
    if (!upstream || !target || this.phase !== SessionPhase.relaying) return;
    // An operation held for approval is cancelled by the gate; a held result then cancels
    // its query upstream itself.
    if (this.controls?.cancelHold()) return this.logger.info('held operation cancelled');
    this.logger.info('cancel request relayed to the server');
    await cancelUpstream(target, upstream.processId, upstream.secretKey);
  }

  /** Cancels what the upstream backend runs now, for a result the gate cuts. */
  private async cancelRunning(): Promise<void> {
    const { upstream, target } = this;
    if (!upstream || !target) return;
    await cancelUpstream(target, upstream.processId, upstream.secretKey);
  }

  private async open(): Promise<void> {
    const { limits } = this.options;
    // One deadline for the whole startup: a client trickling its startup bytes, or a server
    // that never answers the login, must not hold the session (and a role) open.
    const deadline = setTimeout(() => {
      if (this.phase === SessionPhase.relaying || this.isEnding()) return;
      void this.end(
        new GateError({
          sqlstate: SqlState.connectionFailure,
          severity: 'FATAL',
          message: `session startup did not complete within ${limits.startupTimeoutMs} ms`,
        }),
      );
    }, limits.startupTimeoutMs);
    deadline.unref();
    try {
      await this.startup(limits);
    } finally {
      clearTimeout(deadline);
    }
  }

  private async startup(limits: SessionLimits): Promise<void> {
    const source = new FrameSource(
      this.client,
      new FrameReader({ maxMessageSize: limits.maxMessageSize, startup: true }),
    );
    const handshake = await startupHandshake(source, {
      authenticator: this.options.authenticator,
      dataSource: this.options.dataSource,
      // The startup deadline above ends a silent client; this only bounds a single wait.
      timeoutMs: limits.startupTimeoutMs * 2,
      tls: this.options.clientTls,
      onUpgrade: (socket) => this.upgraded(socket),
    });
    if (handshake.kind === 'cancel') {
      handshake.source.detach();
      this.endReason = 'cancel request';
      await this.options.cancels.lookup(handshake.processId, handshake.secretKey)?.cancel();
      return void (await this.end());
    }

    if (this.isEnding()) return;
    this.phase = SessionPhase.authenticating;
    // Refused before anything is minted.
    const parameters = forwardedStartupParameters(handshake.parameters);
    const snapshot = this.options.policies();
    const decision = decide(snapshot, handshake.identity, this.options.dataSource);
    const policy = qualifiedName(decision.policy);
    this.identity = handshake.identity;
    this.decision = decision;
    this.logger.info(
      { identity: describeIdentity(handshake.identity), policy, tls: this.encrypted },
      'session admitted by policy',
    );

    this.phase = SessionPhase.connecting;
    await this.connect(decision, snapshot, parameters, describeIdentity(handshake.identity));
    if (this.isEnding()) return;

    const hooks = this.options.hooks;
    const minter = this.minter as RoleMinter;
    const gate = await hooks.statementGate(decision, { minter });
    const maskers = await hooks.rowMaskers(decision);
    const masking = await hooks.masking?.(decision, { snapshot, minter, logger: this.logger });
    if (this.isEnding()) return this.abandon();
    this.controls = this.options.controls?.({
      sessionId: this.id,
      identity: handshake.identity,
      decision,
      logger: this.logger,
      masking: maskers !== undefined || masking !== undefined,
    });
    this.startRelay(handshake.source, decision, gate, maskers, masking);
  }

  /** Ends the session when the client's socket closes; an error on it is only logged. */
  private watchClient(): void {
    this.client.on('error', (error) => this.logger.debug({ err: error }, 'client socket error'));
    this.client.once('close', () => void this.end());
  }

  /**
   * The client asked for TLS: from here on every byte to it goes through the TLS socket,
   * including the ErrorResponse that end() sends. The plain socket's listeners stay: it
   * closes with the TLS socket.
   */
  private upgraded(socket: TLSSocket): void {
    this.client = socket;
    this.encrypted = true;
    this.watchClient();
  }

  private async connect(
    decision: Decision,
    snapshot: PolicySnapshot,
    parameters: Record<string, string>,
    identity: string,
  ): Promise<void> {
    const { dataSource, policy } = decision;
    const grant = policy.spec.grant;
    this.minter = this.options.minters.get(dataSource, snapshot);
    this.target = {
      host: dataSource.spec.host,
      port: dataSource.spec.port,
      tls: upstreamTls(dataSource, snapshot),
    };

    const lifetimeMs = Math.min(parseDuration(grant.ttl), parseDuration(grant.maxSessionDuration));
    const stopMintTimer = this.options.metrics?.mintDuration
      .labels(this.options.dataSource)
      .startTimer();
    this.role = await this.minter.mint({
      grantRole: grant.role,
      ttlMs: lifetimeMs,
      connectionLimit: grant.connectionLimit,
      identity,
      policy: qualifiedName(policy),
      sessionId: this.id,
    });
    stopMintTimer?.();
    this.logger.info({ role: this.role.name, validUntil: this.role.validUntil }, 'role minted');
    if (this.isEnding()) return this.abandon();

    this.upstream = await loginUpstream({
      target: this.target,
      user: this.role.name,
      password: this.role.password,
      database: dataSource.spec.database,
      parameters: { ...parameters, application_name: appName(parameters) },
      maxMessageSize: this.options.limits.maxMessageSize,
    });
    // Until the relay takes the socket, an error (a reset) must not go unhandled: that would
    // take the process down. Its 'close' ends the session once relaying.
    this.upstream.socket.on('error', (error) =>
      this.logger.debug({ err: error }, 'server socket error'),
    );
    this.upstream.socket.once('close', () => {
      if (this.phase === SessionPhase.relaying) return;
      void this.end(
        new GateError({
          sqlstate: SqlState.connectionFailure,
          severity: 'FATAL',
          message: 'the server closed the connection during startup',
        }),
      );
    });
    if (this.isEnding()) return this.abandon();
    for (const status of this.upstream.parameterStatus) {
      const { name, value } = readParameterStatus(status.subarray(5));
      const problem = parameterStatusProblem(name, value);
      if (problem) throw problem;
    }
    this.lifetime = setTimeout(() => {
      const which =
        lifetimeMs === parseDuration(grant.ttl)
          ? `ttl ${grant.ttl}`
          : `maxSessionDuration ${grant.maxSessionDuration}`;
      void this.end(
        sessionEnded(
          `session ended by Portcullis: the ${which} of policy ${qualifiedName(policy)} has passed`,
          'connect again for a new session',
        ),
      );
    }, lifetimeMs);
    this.lifetime.unref();
  }

  private startRelay(
    source: FrameSource,
    decision: Decision,
    gate: Awaited<ReturnType<SessionHooks['statementGate']>>,
    maskers: Awaited<ReturnType<SessionHooks['rowMaskers']>>,
    masking: SessionMasking | undefined,
  ): void {
    const upstream = this.upstream as UpstreamConnection;
    const key = this.options.cancels.register(this);
    this.releaseKey = key.release;

    const { socket: client, reader } = source.detach();
    client.cork();
    client.write(authenticationOk());
    for (const status of upstream.parameterStatus) client.write(status);
    client.write(backendKeyData(key.processId, key.secretKey));
    client.write(readyForQuery(TransactionStatus.idle));
    client.uncork();

    this.phase = SessionPhase.relaying;
    this.outcome = 'admitted';
    this.options.metrics?.sessionsActive.labels(this.options.dataSource).inc();
    this.relay = new SessionRelay({
      dataSource: this.options.dataSource,
      metrics: this.options.metrics,
      client,
      clientReader: reader,
      upstream: upstream.socket,
      upstreamReader: upstream.reader,
      policy: decision.policy,
      gate,
      maskers,
      masking,
      logger: this.logger,
      ...(this.controls ? { controls: this.controls } : {}),
      cancelUpstream: () => this.cancelRunning(),
      onEnd: (reason, why) => {
        this.endReason = why;
        void this.end(reason);
      },
    });
    this.relay.start();
  }

  private async dropRole(): Promise<void> {
    const { minter, role } = this;
    if (!minter || !role) return;
    try {
      await minter.drop(role.name);
      this.logger.info({ role: role.name }, 'role dropped');
    } catch (error) {
      this.logger.error(
        { err: error, role: role.name },
        'could not drop the minted role; the reaper will',
      );
    }
  }

  /** The client left while the role was being minted or logged in: undo what end() missed. */
  private async abandon(): Promise<void> {
    this.upstream?.socket.destroy();
    await this.dropRole();
  }

  private countEnd(relayed: boolean): void {
    const { metrics, dataSource } = this.options;
    if (!metrics || this.outcome === undefined) return;
    metrics.sessionsTotal.labels(dataSource, this.outcome).inc();
    if (!relayed) return;
    metrics.sessionsActive.labels(dataSource).dec();
    metrics.sessionDuration.labels(dataSource).observe((Date.now() - this.startedAt) / 1000);
  }

  private isEnding(): boolean {
    return this.phase === SessionPhase.ending || this.phase === SessionPhase.ended;
  }

  /**
   * What the client may see of a failure: a GateError as is, anything else as internal;
   * nothing when the client itself went away during startup.
   */
  private clientError(error: unknown): GateError | undefined {
    if (error instanceof FrameSourceClosedError) {
      this.endReason = 'client left during startup';
      return undefined;
    }
    if (error instanceof ClientTlsHandshakeError) {
      // Nothing can reach the client over a failed handshake. The reason is OpenSSL's, which
      // names the failing check and never key material.
      this.outcome ??= 'refused';
      this.endReason = 'TLS handshake failed';
      this.logger.info({ reason: error.message }, 'client TLS handshake failed');
      return undefined;
    }
    if (error instanceof GateError) {
      this.outcome ??= 'refused';
      this.logger.info({ sqlstate: error.sqlstate, reason: error.message }, 'session refused');
      return asFatal(error);
    }
    this.outcome ??= 'failed';
    this.logger.error({ err: error, phase: this.phase }, 'session failed');
    return asFatal(internalError(error));
  }
}

/** Did the policy or data source change in a way a running session must not outlive? */
function sameSpec(next: Decision, current: Decision): boolean {
  return (
    JSON.stringify([next.policy.spec, next.dataSource.spec]) ===
    JSON.stringify([current.policy.spec, current.dataSource.spec])
  );
}

function appName(parameters: Record<string, string>): string {
  const name = parameters.application_name;
  return name ? `${name} via portcullis` : 'portcullis';
}
