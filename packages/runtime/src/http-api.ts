import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { guardUpgradeSocket } from '@evpaxos/ocpp';
import { TransportError, type FaultRule } from '@evpaxos/transport';
import { ApiGuard, apiToken, isMutatingMethod, type ApiRefusal } from './api-auth';
import { ClientFrameBatch, clientPackr } from './client-frames';
import {
  clientVersionHeader,
  positionalAnswer,
  positionalFrameRefusal,
  readClientVersion,
  readPositionalRequest,
  type PositionalResult,
} from './client-versions';
import {
  InvalidRequest,
  clientAnswer,
  errorMessage,
  httpAnswer,
  readClientRequest,
  readSubmit,
  type ClientAnswer,
  type ClientRequestRead,
} from './client-requests';
import type { CallOutcome } from './client-calls';
import type { ClusterNode } from './cluster-node';
import { clientFrameRequestsMax, traceReadEventsMax } from './constants';
import type { Logger } from './logger';
import { membershipAnswer } from './membership-api';

/** The built-in routes' paths: a wrong method on one is 405, not 404. */
const knownPaths = [
  '/status',
  '/stats',
  '/metrics',
  '/log',
  '/faults',
  '/submit',
  '/membership',
  '/trace',
  '/admin/kill',
];

/** A request as a role's extra routes see it (RunningNode.addHttpRoutes). */
export interface ExtraRouteRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** The JSON body (at most httpBodyBytesMax); bad JSON is answered with 400 by the API. */
  readJson(): Promise<unknown>;
}

export interface ExtraRouteResponse {
  readonly status: number;
  /** Sent as JSON, unless `contentType` is given: then a string or Buffer sent as it is. */
  readonly body: unknown;
  /** For a page or an asset (the dashboard): e.g. 'text/html; charset=utf-8'. */
  readonly contentType?: string;
  /** Extra headers (e.g. Cache-Control). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Routes a role package adds (the central's /reservations): answers a request, or returns
 * undefined to leave it to the next route and finally the API's 404.
 */
export type ExtraRoutes = (request: ExtraRouteRequest) => Promise<ExtraRouteResponse | undefined>;

/**
 * A WebSocket (or other) upgrade a role serves on httpPort (the dashboard's live feed): it owns the
 * socket once called, and must answer or destroy it.
 */
export type UpgradeHandler = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Collaborators of the HTTP API; all optional. */
export interface HttpApiCollaborators {
  /**
   * What POST /admin/kill does in lab mode, once the answer is sent. Default: SIGKILL this process
   * — a crash, exactly like `evpaxos kill` (no flush, no goodbye).
   */
  readonly kill?: () => void;
}

/**
 * The HTTP admin and client API of one node, plus the pipelined WebSocket client protocol at
 * /client (docs/CLUSTER.md). Bad input is answered with 400 and a reason and logged at warn; a handler
 * error is a 500 and an error line, never a crash.
 */
export class HttpApi {
  private readonly server: http.Server;
  private readonly clients: WebSocketServer;
  private readonly extraRoutes: ExtraRoutes[] = [];
  private readonly upgradeRoutes = new Map<string, UpgradeHandler>();
  private readonly kill: () => void;
  private readonly guard: ApiGuard;

  constructor(
    private readonly node: ClusterNode,
    private readonly logger: Logger,
    collaborators: HttpApiCollaborators = {},
  ) {
    this.kill = collaborators.kill ?? (() => process.kill(process.pid, 'SIGKILL'));
    const { secret, clusterId, nodes, listenHost } = node.config;
    this.guard = new ApiGuard(apiToken(secret, clusterId), [
      ...nodes.map((member) => member.host),
      listenHost,
      hostname(),
    ]);
    this.server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.logger.error('http: handler failed', {
          url: request.url,
          error: error instanceof Error ? error.message : String(error),
        });
        if (!response.headersSent) reply(response, 500, { error: 'internal' });
        else response.destroy();
      });
    });
    this.clients = new WebSocketServer({
      noServer: true,
      maxPayload: node.config.httpBodyBytesMax,
      perMessageDeflate: false,
    });
    // The upgrade response names the /client version the connection speaks (docs/PROTOCOL-WIRE.md).
    this.clients.on('headers', (headers, request) => {
      const asked = readClientVersion(request.url);
      if (asked.ok) headers.push(`${clientVersionHeader}: ${asked.version}`);
    });
    this.server.on('upgrade', (request, socket, head) => this.upgrade(request, socket, head));
  }

  /** Listens on host:port (0 picks a free port); resolves with the bound port. */
  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.server.on('error', (error) =>
      this.logger.error('http: server error', { error: error.message }),
    );
    return (this.server.address() as AddressInfo).port;
  }

  /** Adds a role's routes, tried in order after the built-in ones; returns a remover. */
  addRoutes(routes: ExtraRoutes): () => void {
    this.extraRoutes.push(routes);
    return () => {
      const index = this.extraRoutes.indexOf(routes);
      if (index >= 0) this.extraRoutes.splice(index, 1);
    };
  }

  /**
   * Serves upgrades (WebSocket handshakes) on `path` with `handler`; /client stays the API's own.
   * Returns a remover.
   */
  addUpgradeRoute(path: string, handler: UpgradeHandler): () => void {
    if (path === '/client' || this.upgradeRoutes.has(path)) {
      throw new Error(`The upgrade path ${path} is taken.`);
    }
    this.upgradeRoutes.set(path, handler);
    return () => {
      if (this.upgradeRoutes.get(path) === handler) this.upgradeRoutes.delete(path);
    };
  }

  close(): Promise<void> {
    for (const client of this.clients.clients) client.terminate();
    this.clients.close();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      // Keep-alive connections would hold close() open until they idle out.
      this.server.closeAllConnections();
    });
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = `${request.method ?? ''} ${url.pathname}`;
    if (isMutatingMethod(request.method)) {
      // Every state change is authenticated, built-in or a role's route (docs/CLUSTER.md).
      const body = request.method === 'POST' || request.method === 'PUT';
      const refusal = this.guard.check(request, body);
      if (refusal !== undefined) return this.refuse(request, response, route, refusal);
    }
    try {
      switch (route) {
        case 'GET /status':
          return reply(response, 200, this.node.status());
        case 'GET /stats':
          return reply(response, 200, this.node.stats());
        case 'GET /metrics': {
          const { contentType, text } = this.node.metrics.expose();
          response.writeHead(200, {
            'Content-Type': contentType,
            'Content-Length': Buffer.byteLength(text),
          });
          response.end(text);
          return;
        }
        case 'POST /admin/kill':
          return this.adminKill(response);
        case 'GET /log':
          return reply(response, 200, this.readLog(url.searchParams));
        case 'GET /faults':
          return reply(response, 200, { rules: this.node.faults });
        case 'PUT /faults': {
          const body = await this.readJson(request);
          const rules = (body as { rules?: unknown }).rules;
          if (!Array.isArray(rules)) throw new InvalidRequest('The body needs "rules": a list.');
          try {
            this.node.setFaults(rules as FaultRule[]);
          } catch (error) {
            if (error instanceof TransportError) throw new InvalidRequest(error.message);
            throw error;
          }
          return reply(response, 200, { rules: this.node.faults });
        }
        case 'DELETE /faults':
          this.node.clearFaults();
          return reply(response, 200, { rules: [] });
        case 'GET /trace':
        case 'PUT /trace':
          return await this.traceRoute(request, response, url.searchParams);
        case 'POST /submit':
          return await this.submit(request, response);
        case 'POST /membership':
          return await this.membership(request, response);
        default: {
          for (const routes of [...this.extraRoutes]) {
            const answer = await routes({
              method: request.method ?? '',
              path: url.pathname,
              query: url.searchParams,
              readJson: () => this.readJson(request),
            });
            if (answer === undefined) continue;
            if (answer.contentType === undefined) {
              return reply(response, answer.status, answer.body, answer.headers);
            }
            const raw =
              typeof answer.body === 'string' || Buffer.isBuffer(answer.body)
                ? answer.body
                : String(answer.body);
            response.writeHead(answer.status, {
              ...answer.headers,
              'Content-Type': answer.contentType,
              'Content-Length': Buffer.byteLength(raw),
            });
            response.end(raw);
            return;
          }
          const known = knownPaths.includes(url.pathname);
          return reply(response, known ? 405 : 404, {
            error: known ? 'method-not-allowed' : 'not-found',
            reason: `No route for ${route}.`,
          });
        }
      }
    } catch (error) {
      if (!(error instanceof InvalidRequest)) throw error;
      this.logger.warn('http: invalid request', { route, reason: error.message });
      // The body may be unread (too large): close the connection rather than drain it.
      response.setHeader('Connection', 'close');
      return reply(response, 400, { error: 'invalid-request', reason: error.message });
    }
  }

  /** Answers a refused state change with its status and reason, and logs why (warn). */
  private refuse(
    request: http.IncomingMessage,
    response: http.ServerResponse | Duplex,
    route: string,
    refusal: ApiRefusal | { status: 400; error: 'invalid-request'; reason: string },
  ): void {
    this.logger.warn('http: refused', {
      route,
      status: refusal.status,
      reason: refusal.reason,
      remote: request.socket.remoteAddress,
      origin: request.headers.origin,
    });
    const body = { error: refusal.error, reason: refusal.reason };
    if (response instanceof http.ServerResponse) {
      // The body is unread: close the connection rather than drain it.
      response.setHeader('Connection', 'close');
      return reply(response, refusal.status, body);
    }
    const text = JSON.stringify(body);
    const statusText = http.STATUS_CODES[refusal.status] ?? '';
    response.end(
      `HTTP/1.1 ${refusal.status} ${statusText}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
    );
  }

  /** GET /trace (the traced messages after `after`) and PUT /trace {on} (docs/CLUSTER.md). */
  private async traceRoute(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    params: URLSearchParams,
  ) {
    if (request.method === 'GET') {
      const after = readQueryInteger(params, 'after', 0);
      const limit = Math.min(
        readQueryInteger(params, 'limit', traceReadEventsMax),
        traceReadEventsMax,
      );
      return reply(response, 200, this.node.readTrace(after, limit));
    }
    const on = ((await this.readJson(request)) as { on?: unknown } | null)?.on;
    if (typeof on !== 'boolean') throw new InvalidRequest('The body needs "on": true or false.');
    this.node.setTracing(on);
    return reply(response, 200, { on });
  }

  /** Lab mode only: answers 202, then crashes this process (the dashboard's kill button). */
  private adminKill(response: http.ServerResponse): void {
    if (!this.node.config.lab) {
      return reply(response, 404, {
        error: 'not-found',
        reason:
          'POST /admin/kill exists in lab mode only (EVPAXOS_LAB=1, evpaxos cluster up --lab).',
      });
    }
    this.logger.warn('admin: killed over HTTP (lab mode)', { pid: process.pid });
    response.on('finish', () => this.kill());
    return reply(response, 202, { killing: this.node.config.id, pid: process.pid });
  }

  private readLog(params: URLSearchParams) {
    const from = readQueryInteger(params, 'from', 0);
    const limit = Math.min(
      readQueryInteger(params, 'limit', 1000),
      this.node.config.logReadEntriesMax,
    );
    return this.node.readLog(from, limit);
  }

  private async submit(request: http.IncomingMessage, response: http.ServerResponse) {
    if (!this.node.isCentral) {
      return reply(response, 404, {
        error: 'not-found',
        reason: 'A charge point takes no commands: submit to a central node.',
      });
    }
    const body = await this.readJson(request);
    const { payload, client } = readSubmit(body);
    const outcome = await this.node.submit(payload, client);
    const [status, answer] = httpAnswer(outcome, this.node);
    return reply(response, status, answer);
  }

  /** docs/CLUSTER.md, "Membership": a change of who votes, checked and decided by the leader. */
  private async membership(request: http.IncomingMessage, response: http.ServerResponse) {
    if (!this.node.isCentral) {
      return reply(response, 404, {
        error: 'not-found',
        reason: 'A charge point takes no membership changes: send them to a central node.',
      });
    }
    const [status, answer] = await membershipAnswer(this.node, await this.readJson(request));
    return reply(response, status, answer);
  }

  /** Reads a JSON body of at most httpBodyBytesMax bytes. */
  private readJson(request: http.IncomingMessage): Promise<unknown> {
    const limit = this.node.config.httpBodyBytesMax;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      let done = false;
      request.on('data', (chunk: Buffer) => {
        if (done) return;
        bytes += chunk.length;
        if (bytes > limit) {
          done = true;
          request.pause();
          reject(new InvalidRequest(`The body is larger than ${limit} bytes.`));
          return;
        }
        chunks.push(chunk);
      });
      request.on('error', (error) => {
        if (!done) reject(error);
        done = true;
      });
      request.on('end', () => {
        if (done) return;
        done = true;
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(new InvalidRequest(`The body is not valid JSON (${(error as Error).message}).`));
        }
      });
    });
  }

  private upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    guardUpgradeSocket(socket, (error) =>
      this.logger.debug('http: upgrade socket error', {
        url: request.url,
        error: error.message,
        remote: request.socket.remoteAddress,
      }),
    );
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const extra = this.upgradeRoutes.get(path);
    if (extra !== undefined) {
      // Read-only, so no token; but no cross-site WebSocket read either (docs/CLUSTER.md).
      const refusal = this.guard.checkCrossSite(request);
      if (refusal !== undefined) return this.refuse(request, socket, `UPGRADE ${path}`, refusal);
      extra(request, socket, head);
      return;
    }
    if (path !== '/client' || !this.node.isCentral) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // /client submits commands: the same checks as POST /submit (a WebSocket has no body type).
    const refusal = this.guard.check(request, false);
    if (refusal !== undefined) return this.refuse(request, socket, 'UPGRADE /client', refusal);
    const asked = readClientVersion(request.url);
    if (!asked.ok) {
      const versionRefusal = {
        status: 400,
        error: 'invalid-request',
        reason: asked.reason,
      } as const;
      return this.refuse(request, socket, 'UPGRADE /client', versionRefusal);
    }
    this.clients.handleUpgrade(request, socket, head, (client) =>
      asked.version === 1 ? this.serveClient(client) : this.servePositionalClient(client),
    );
  }

  /** A /client connection's answers, batched per turn; dropped once it closes. */
  private clientOutbox<Answer>(socket: WebSocket): ClientFrameBatch<Answer> {
    const outbox = new ClientFrameBatch<Answer>((frame) => {
      if (socket.readyState === socket.OPEN) socket.send(frame);
    });
    socket.on('error', (error) =>
      this.logger.warn('client: socket error', { error: error.message }),
    );
    socket.on('close', () => outbox.clear());
    return outbox;
  }

  /**
   * One /client connection of version 1: pipelined requests, each answered (in any order) by
   * requestId. A frame holds one request map or an array of 1 to clientFrameRequestsMax of them;
   * each request of an array is validated on its own, so a bad one costs only its own
   * invalid-request answer.
   */
  private serveClient(socket: WebSocket): void {
    // Answers ready in one turn leave as one frame (~90 per frame at concurrency 256); arrays only
    // to a client that has sent one, so clients of the one-map-per-frame protocol keep working.
    const outbox = this.clientOutbox<ClientAnswer>(socket);
    const answer = (requestId: number, outcome: CallOutcome) =>
      outbox.push(clientAnswer(requestId, outcome, this.node));
    socket.on('message', (data: RawData, isBinary: boolean) => {
      const frame = this.unpackClientFrame(outbox, data, isBinary);
      if (frame === refusedFrame) return;
      if (!Array.isArray(frame)) {
        this.serveClientRequest(outbox, readClientRequest(frame, 'A frame'), undefined, answer);
        return;
      }
      outbox.allowArrays();
      if (frame.length === 0 || frame.length > clientFrameRequestsMax) {
        this.refuseClientRequest(
          outbox,
          null,
          `An array frame holds 1 to ${clientFrameRequestsMax} requests (got ${frame.length}).`,
        );
        return;
      }
      frame.forEach((request: unknown, index) =>
        this.serveClientRequest(outbox, readClientRequest(request, 'A request'), index, answer),
      );
    });
  }

  /**
   * One /client connection of version 2 (`?version=2`): every frame an array, requests
   * `[requestId, clientId, seq, payload]`, results `[requestId, slot, [round, proposerId], result,
   * duplicate]`, errors the version 1 maps (docs/PROTOCOL-WIRE.md).
   */
  private servePositionalClient(socket: WebSocket): void {
    const outbox = this.clientOutbox<ClientAnswer | PositionalResult>(socket);
    outbox.arraysOnly();
    const answer = (requestId: number, outcome: CallOutcome) =>
      outbox.push(positionalAnswer(requestId, outcome, this.node));
    socket.on('message', (data: RawData, isBinary: boolean) => {
      const frame = this.unpackClientFrame(outbox, data, isBinary);
      if (frame === refusedFrame) return;
      const refusal = positionalFrameRefusal(frame);
      if (refusal !== undefined) return this.refuseClientRequest(outbox, null, refusal);
      const requests = frame as unknown[];
      for (let index = 0; index < requests.length; index += 1) {
        this.serveClientRequest(outbox, readPositionalRequest(requests[index]), index, answer);
      }
    });
  }

  /** A frame's MessagePack value, or `refusedFrame` when it is refused (answered and logged). */
  private unpackClientFrame(outbox: ErrorAnswers, data: RawData, isBinary: boolean): unknown {
    try {
      if (!isBinary) throw new InvalidRequest('Frames must be binary MessagePack.');
      return clientPackr.unpack(toBuffer(data)) as unknown;
    } catch (error) {
      this.refuseClientRequest(outbox, null, errorMessage(error));
      return refusedFrame;
    }
  }

  /** Submits one read /client request, or refuses it; `index` is its place in an array frame. */
  private serveClientRequest(
    outbox: ErrorAnswers,
    read: ClientRequestRead,
    index: number | undefined,
    answer: (requestId: number, outcome: CallOutcome) => void,
  ) {
    if (!read.ok) {
      this.refuseClientRequest(outbox, read.requestId, read.reason, index);
      return;
    }
    const { requestId } = read;
    this.node.submitWith(read.payload, read.client, (outcome) => answer(requestId, outcome));
  }

  private refuseClientRequest(
    outbox: ErrorAnswers,
    requestId: number | null,
    reason: string,
    index?: number,
  ): void {
    this.logger.warn('client: invalid request', { requestId, index, reason });
    outbox.push({ type: 'error', requestId, code: 'invalid-request', reason });
  }
}

/** What unpackClientFrame returns for a frame it refused (a frame may decode to undefined). */
const refusedFrame = Symbol('refused /client frame');

/** Where a /client connection's error answers go (a map in every version). */
interface ErrorAnswers {
  push(answer: ClientAnswer): void;
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

function reply(
  response: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

function readQueryInteger(params: URLSearchParams, name: string, fallback: number): number {
  const text = params.get(name);
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidRequest(`The query parameter ${name} must be a whole number (got "${text}").`);
  }
  return value;
}
