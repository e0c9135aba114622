import type { PersistDelta, Ready } from '@evpaxos/paxos';

/** What the pipeline does with each part of a Ready; injected so a test can slow the disk down. */
export interface ReadySinks {
  /** Makes a delta durable; undefined for a node without durable state (a central). */
  readonly persist: ((delta: PersistDelta) => Promise<void>) | undefined;
  /** Sends a Ready's messages (called only once its persist, and every earlier one, is durable). */
  readonly send: (ready: Ready) => void;
  /** Hands a Ready's applied entries and events to the application, after its messages went out. */
  readonly deliver: (ready: Ready) => void;
  /** A persist failed: nothing more may be sent (the node could contradict what it forgot). */
  readonly fail: (error: unknown) => void;
}

/**
 * Processes Readies strictly in order: persist → send → deliver (etcd raft's loop, docs/STYLE.md).
 *
 * Persists start at once, so the store's group commit batches Readies that arrive while a sync is
 * in flight; but Ready k+1 is sent and delivered only after Ready k was, and after its own persist
 * is durable. Paxos Made Simple §2.2: an acceptor's promise or accept must be durable before the
 * reply that reveals it leaves the node.
 */
export class ReadyPipeline {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private failed = false;

  constructor(private readonly sinks: ReadySinks) {}

  /** Readies taken but not yet delivered. */
  get depth(): number {
    return this.queued;
  }

  push(ready: Ready): void {
    if (this.failed) return;
    const { persist } = this.sinks;
    const durable =
      ready.persist !== undefined && persist !== undefined
        ? persist(ready.persist)
        : Promise.resolve();
    this.queued += 1;
    this.tail = Promise.all([this.tail, durable]).then(
      () => {
        this.queued -= 1;
        if (this.failed) return;
        try {
          this.sinks.send(ready);
          this.sinks.deliver(ready);
        } catch (error) {
          // A bug in a sink: stop here rather than run on in an unknown state.
          this.failed = true;
          this.sinks.fail(error);
        }
      },
      (error: unknown) => {
        this.queued -= 1;
        if (this.failed) return;
        this.failed = true;
        this.sinks.fail(error);
      },
    );
  }

  /** Resolves once every Ready pushed so far was delivered (or the pipeline failed). */
  drain(): Promise<void> {
    return this.tail;
  }
}
