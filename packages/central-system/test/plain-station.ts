/* eslint-disable @typescript-eslint/no-explicit-any -- OCPP payloads are untyped JSON here, asserted field by field. */
/**
 * A charging station written on plain `ws` (OCPP-J framing by hand, OCPP 2.0.1 Part 4), sharing no
 * code with ocpp-rpc or @evpaxos/ocpp, so a bug common to our client and server cannot hide. Every
 * payload, both directions, is checked against the official schemas (ocpp-schemas.ts): a violation
 * is recorded in `violations` (and an outbound one is also refused, as a station's would be).
 */
import { WebSocket } from 'ws';
import type { OcppSchemas } from './ocpp-schemas';

type Handler = (payload: any) => any;

export class PlainStation {
  readonly violations: string[] = [];
  /** Every CSMS-initiated call received, in order. */
  readonly received: { action: string; payload: any }[] = [];
  private socket: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<
    string,
    { action: string; resolve: (value: any) => void; reject: (error: Error) => void }
  >();
  private readonly handlers = new Map<string, Handler>();

  constructor(
    private readonly schemas: OcppSchemas,
    readonly identity: string,
    /** Security Profile 1 (HTTP Basic auth, OCPP 2.0.1 Part 2 A00.FR.2xx); absent: none. */
    private readonly password?: string,
  ) {}

  handle(action: string, handler: Handler): void {
    this.handlers.set(action, handler);
  }

  /** Connects to the first URL that accepts the upgrade, trying each in turn until the deadline. */
  async connect(urls: readonly string[], deadlineMs = 20_000): Promise<string> {
    const deadline = Date.now() + deadlineMs;
    for (let attempt = 0; ; attempt += 1) {
      const url = urls[attempt % urls.length] as string;
      try {
        await this.open(`${url}/${this.identity}`);
        return url;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  private open(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> =
        this.password === undefined
          ? {}
          : {
              authorization: `Basic ${Buffer.from(`${this.identity}:${this.password}`).toString('base64')}`,
            };
      const socket = new WebSocket(url, ['ocpp2.0.1'], { headers });
      socket.once('open', () => {
        if (socket.protocol !== 'ocpp2.0.1') {
          socket.close();
          reject(new Error(`subprotocol ${socket.protocol}`));
          return;
        }
        this.socket = socket;
        resolve();
      });
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) => {
        reject(new Error(`HTTP ${response.statusCode}`));
      });
      socket.on('message', (data) => this.onMessage(String(data)));
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
        for (const [id, call] of this.pending) {
          this.pending.delete(id);
          call.reject(new Error(`connection closed during ${call.action}`));
        }
      });
    });
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  call(action: string, payload: unknown): Promise<any> {
    const invalid = this.schemas.check(action, 'Request', payload);
    if (invalid !== null) {
      this.violations.push(`station sent ${invalid}`);
      return Promise.reject(new Error(invalid));
    }
    const socket = this.socket;
    if (socket === undefined) return Promise.reject(new Error('not connected'));
    const id = `s${this.nextId++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { action, resolve, reject });
      socket.send(JSON.stringify([2, id, action, payload]));
    });
  }

  private onMessage(text: string): void {
    let frame: any;
    try {
      frame = JSON.parse(text);
    } catch {
      this.violations.push(`CSMS sent a frame that is not JSON: ${text.slice(0, 100)}`);
      return;
    }
    const [type, id] = frame as [number, string];
    if (type === 2) {
      void this.answer(id, frame[2], frame[3]);
      return;
    }
    const call = this.pending.get(id);
    if (call === undefined) {
      this.violations.push(`CSMS answered an unknown call id ${id}`);
      return;
    }
    this.pending.delete(id);
    if (type === 3) {
      const invalid = this.schemas.check(call.action, 'Response', frame[2]);
      if (invalid !== null) this.violations.push(`CSMS answered ${invalid}`);
      call.resolve(frame[2]);
    } else if (type === 4) {
      const error = new Error(`CALLERROR ${frame[2]}: ${frame[3]}`) as Error & { code?: string };
      error.code = frame[2];
      call.reject(error);
    } else {
      this.violations.push(`CSMS sent message type ${type}`);
    }
  }

  private async answer(id: string, action: string, payload: unknown): Promise<void> {
    this.received.push({ action, payload });
    const invalid = this.schemas.check(action, 'Request', payload);
    if (invalid !== null) this.violations.push(`CSMS sent ${invalid}`);
    const handler = this.handlers.get(action);
    if (handler === undefined) {
      this.socket?.send(
        JSON.stringify([4, id, 'NotImplemented', `${action} is not implemented here`, {}]),
      );
      return;
    }
    const response = await handler(payload);
    if (Array.isArray(response) && response[0] === 'CALLERROR') {
      this.socket?.send(JSON.stringify([4, id, response[1], response[2] ?? '', {}]));
      return;
    }
    const bad = this.schemas.check(action, 'Response', response);
    if (bad !== null) this.violations.push(`station answered ${bad}`);
    this.socket?.send(JSON.stringify([3, id, response]));
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}
