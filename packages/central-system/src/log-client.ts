/**
 * How a central that is not the leader gets a command agreed (docs/OCPP.md, "Failover"): it is a
 * client of the log like any other — POST /submit at the leader's HTTP API with the cluster's API
 * token (docs/CLUSTER.md, "Authentication"), its own client id and a seq per command, so a forward retried after a lost answer or a leader change is applied
 * once (the learner's client table). Once the leader answers with the slot, it waits (bounded)
 * until its own replica has applied that slot, so the station's next call reads its own write.
 * On the leader the command goes straight to the local node (with the same client id and seq).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  apiToken,
  httpJson,
  type CallOutcome,
  type ClusterNode,
  type Logger,
} from '@evpaxos/runtime';
import {
  FORWARD_ATTEMPT_MS,
  FORWARD_RETRY_MS,
  FORWARD_TOTAL_MS,
  READ_OWN_WRITE_MS,
} from './constants';

export class LogClient {
  /** Unique per process: a restarted central must not reuse the seqs of its previous life. */
  private readonly clientId: string;
  private seq = 0;
  private readonly token: string;

  constructor(
    private readonly node: ClusterNode,
    private readonly logger: Logger,
  ) {
    this.clientId = `${node.config.id}.csms.${randomBytes(6).toString('hex')}`;
    this.token = apiToken(node.config.secret, node.config.clusterId);
  }

  async submit(payload: unknown): Promise<CallOutcome> {
    // Our client id and seq on every path, local or forwarded: a command that lost its leader
    // mid-flight and is retried elsewhere is applied once.
    const client = { clientId: this.clientId, seq: (this.seq += 1) };
    const deadline = performance.now() + FORWARD_TOTAL_MS;
    let attempts = 0;
    while (performance.now() < deadline) {
      attempts += 1;
      const outcome = this.node.isLeader
        ? await this.node.submit(payload, client)
        : await this.forwardToLeader(payload, client);
      if (outcome === 'retry' || (!outcome.ok && outcome.code === 'not-leader')) {
        // No leader known, unreachable, or leadership moved while the command was in flight.
        await sleep(FORWARD_RETRY_MS);
        continue;
      }
      if (outcome.ok && outcome.duplicate && outcome.result === undefined) {
        // An earlier attempt was applied and its result is no longer known (docs/CLUSTER.md,
        // POST /submit): the caller is told "not agreed" and the station retries (the site's
        // commands are idempotent for it).
        return { ok: false, code: 'timeout' };
      }
      if (outcome.ok) await this.appliedLocally(outcome.slot);
      return outcome;
    }
    this.logger.warn('forward-gave-up', {
      seq: client.seq,
      attempts,
      leaderId: this.node.leaderId,
    });
    return { ok: false, code: 'timeout' };
  }

  private forwardToLeader(
    payload: unknown,
    client: { clientId: string; seq: number },
  ): Promise<CallOutcome | 'retry'> {
    const leaderUrl = this.node.urlOf(this.node.leaderId);
    return leaderUrl === null ? Promise.resolve('retry') : this.forward(leaderUrl, payload, client);
  }

  /** One POST /submit at the leader: the outcome, or 'retry' (no leader there, unreachable, timed out). */
  private async forward(
    leaderUrl: string,
    payload: unknown,
    client: { clientId: string; seq: number },
  ): Promise<CallOutcome | 'retry'> {
    let status: number;
    let body: Record<string, unknown>;
    try {
      const reply = await httpJson(
        `${leaderUrl}/submit`,
        'POST',
        { payload, ...client },
        FORWARD_ATTEMPT_MS,
        this.token,
      );
      status = reply.status;
      body = (reply.body ?? {}) as Record<string, unknown>;
    } catch (error) {
      this.logger.debug('forward-failed', { leaderUrl, reason: (error as Error).message });
      return 'retry';
    }
    switch (status) {
      case 200:
        return {
          ok: true,
          slot: body.slot as number,
          ballot: body.ballot as never,
          result: body.result,
          duplicate: body.duplicate === true,
        };
      case 400:
        return {
          ok: false,
          code: 'invalid-command',
          commandCode: String(body.commandCode),
          reason: String(body.reason),
        };
      case 503:
        return { ok: false, code: 'overloaded' };
      default:
        // 421 (that node stopped leading), 504 (no agreement yet): same seq, next leader.
        return 'retry';
    }
  }

  private async appliedLocally(slot: number): Promise<void> {
    if (this.node.status().paxos.appliedThrough >= slot) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, READ_OWN_WRITE_MS);
      const off = this.node.onApplied(() => {
        if (this.node.status().paxos.appliedThrough >= slot) done();
      });
      function done(): void {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }
}
