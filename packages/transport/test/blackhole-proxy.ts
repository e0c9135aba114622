import * as net from 'node:net';

interface Held {
  readonly to: net.Socket;
  /** Bytes, or the other side's end of stream ('end') or reset ('destroy'). */
  readonly data: Buffer | 'end' | 'destroy';
}

/**
 * A TCP proxy to 127.0.0.1:`targetPort` that can be cut: while cut it forwards nothing, neither
 * bytes nor ends, and keeps both sockets open — what `docker network disconnect` or a pulled cable
 * looks like to the endpoints (no FIN, no RST). `mend` delivers what was held, in order, as TCP
 * retransmission would once the path is back.
 */
export class BlackholeProxy {
  private cut = false;
  private held: Held[] = [];
  private readonly sockets = new Set<net.Socket>();
  /** Sockets of connections that vanished: whatever is meant for them is dropped for good. */
  private readonly vanished = new Set<net.Socket>();
  private readonly server: net.Server;

  private constructor(private readonly targetPort: number) {
    this.server = net.createServer((client) => this.pipe(client));
  }

  static async start(targetPort: number): Promise<BlackholeProxy> {
    const proxy = new BlackholeProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  cutOff(): void {
    this.cut = true;
  }

  mend(): void {
    this.cut = false;
    const held = this.held;
    this.held = [];
    for (const { to, data } of held) this.deliver(to, data);
  }

  /**
   * The connections open now go silent for good, both ways (no bytes, no FIN, no RST), while new
   * connections pass: what the peers of a replaced container see — its old address swallows
   * everything, its new one answers.
   */
  vanish(): void {
    for (const socket of this.sockets) this.vanished.add(socket);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.on('data', (data) => this.forward(to, data));
      from.on('end', () => this.forward(to, 'end'));
      from.on('error', () => this.forward(to, 'destroy'));
      from.on('close', () => this.sockets.delete(from));
    }
  }

  private forward(to: net.Socket, data: Held['data']): void {
    if (this.vanished.has(to)) return;
    if (this.cut) this.held.push({ to, data });
    else this.deliver(to, data);
  }

  private deliver(to: net.Socket, data: Held['data']): void {
    if (to.destroyed) return;
    if (data === 'destroy') to.destroy();
    else if (to.writableEnded) return;
    else if (data === 'end') to.end();
    else to.write(data);
  }
}
