import { WebSocket } from 'ws';
import type { Connection } from './connection';
import type { Mesh } from './mesh';
import { silentAtMs, type PeerLink } from './peer-link';

/**
 * Liveness of every authenticated connection, on one timer armed for the next deadline
 * (docs/PROTOCOL-WIRE.md, "Liveness"):
 * - our outbound connection quiet for `pingIntervalMs` is pinged, and again each interval while
 *   it stays quiet; an inbound one is pinged only after twice that, since its dialer's pings
 *   already reach us every interval (each pair's idle traffic is then one ping and pong per
 *   direction per interval, half what pinging from both ends would cost);
 * - our send link to a peer that has answered nothing for `pingIntervalMs + silenceSlackMs` is
 *   reported `silent` (`PeerLink` / `currentState`), and `connected` again at its next pong;
 * - a connection quiet for `livenessTimeoutMs` is terminated (`liveness-timeout`); the close
 *   handler redials.
 * A frame, ping or pong only stores a clock (`Mesh.heard`); the timer finds the deadlines moved
 * when it wakes. Pings due within a quarter interval go out together, so an idle node wakes about
 * twice an interval whatever its number of peers, instead of polling at a fixed rate.
 */
export class LivenessWatch {
  private timer: NodeJS.Timeout | null = null;
  private armedForMs = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(private readonly mesh: Mesh) {}

  /** A connection just opened: its first ping may be due before the armed wake-up. */
  watch(connection: Connection): void {
    this.armBy(connection.heardAtMs + this.mesh.limits.pingIntervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private armBy(deadlineMs: number): void {
    if (this.stopped || !(deadlineMs < this.armedForMs)) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedForMs = deadlineMs;
    const delayMs = Math.max(1, Math.ceil(deadlineMs - this.mesh.monotonicNowMs()));
    // The sweep runs after two I/O polls that follow the timer: if our own event loop stalled,
    // the pongs that came in meanwhile are read, and pings that came in are answered and their
    // pongs read (a peer in this same process, as in tests), before any link is judged silent.
    this.timer = setTimeout(() => setImmediate(() => setImmediate(() => this.sweep())), delayMs);
  }

  private sweep(): void {
    this.timer = null;
    this.armedForMs = Number.POSITIVE_INFINITY;
    if (this.stopped || this.mesh.core.closed) return;
    const nowMs = this.mesh.monotonicNowMs();
    let nextMs = Number.POSITIVE_INFINITY;
    for (const connection of [...this.mesh.connections]) {
      if (connection.step === 'open') nextMs = Math.min(nextMs, this.check(connection, nowMs));
    }
    for (const link of this.mesh.links.values())
      nextMs = Math.min(nextMs, this.report(link, nowMs));
    this.armBy(nextMs);
  }

  /** Pings or terminates one connection as its silence requires; returns its next deadline. */
  private check(connection: Connection, nowMs: number): number {
    const limits = this.mesh.limits;
    const quietMs = nowMs - connection.heardAtMs;
    if (quietMs >= limits.livenessTimeoutMs) {
      this.mesh.reject(
        connection,
        'liveness-timeout',
        `nothing heard for ${Math.round(quietMs)} ms`,
        true,
      );
      return Number.POSITIVE_INFINITY;
    }
    const quietBeforePingMs =
      connection.direction === 'out' ? limits.pingIntervalMs : 2 * limits.pingIntervalMs;
    let pingAtMs = Math.max(connection.heardAtMs, connection.pingedAtMs) + quietBeforePingMs;
    if (pingAtMs <= nowMs + limits.pingIntervalMs / 4) {
      if (connection.socket.readyState === WebSocket.OPEN) connection.socket.ping();
      connection.pingedAtMs = nowMs;
      connection.unansweredPingAtMs ??= nowMs;
      pingAtMs = nowMs + quietBeforePingMs;
    }
    return Math.min(pingAtMs, connection.heardAtMs + limits.livenessTimeoutMs);
  }

  /** Reports a connected link silent once its deadline passed; returns that deadline otherwise. */
  private report(link: PeerLink, nowMs: number): number {
    if (link.state !== 'connected' || link.outbound === null) return Number.POSITIVE_INFINITY;
    const silentMs = silentAtMs(link.outbound, this.mesh.limits);
    if (silentMs > nowMs) return silentMs;
    this.mesh.setState(link, 'silent');
    this.mesh.core.logger.warn('transport: link silent', {
      peer: link.id,
      quietMs: Math.round(nowMs - link.outbound.heardAtMs),
    });
    return Number.POSITIVE_INFINITY;
  }
}
