import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { TransportError, type FaultRule } from '@evpaxos/transport';
import { defaultWireLimits, isPlainObject, readPlainData } from '@evpaxos/wire';
import type { Ballot, NodeId } from '@evpaxos/paxos';
import type { CallOutcome } from './client-calls';
import { ClientFrameBatch, clientPackr } from './client-frames';
import type { ClusterNode } from './cluster-node';
import { clientFrameRequestsMax } from './constants';
import type { Logger } from './logger';

/** A request we refuse with 400: the reason goes back to the client and into a warn line. */
class InvalidRequest extends Error {
  readonly code = 'invalid-request';
}

const idLengthMax = defaultWireLimits.idLengthMax;

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

  constructor(
    private readonly node: ClusterNode,
    private readonly logger: Logger,
    collaborators: HttpApiCollaborators = {},
  ) {
    this.kill = collaborators.kill ?? (() => process.kill(process.pid, 'SIGKILL'));
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
    try {
      switch (route) {
        case 'GET /status':
          return reply(response, 200, this.node.status());
        case 'GET /stats':
          return reply(response, 200, this.node.stats());
        case 'GET /metrics': {
          const { contentType, text } = await this.node.metrics.expose();
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
        case 'POST /submit':
          return await this.submit(request, response);
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
          const known = [
            '/status',
            '/stats',
            '/metrics',
            '/log',
            '/faults',
            '/submit',
            '/admin/kill',
          ].includes(url.pathname);
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
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const extra = this.upgradeRoutes.get(path);
    if (extra !== undefined) {
      extra(request, socket, head);
      return;
    }
    if (path !== '/client' || !this.node.isCentral) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.clients.handleUpgrade(request, socket, head, (client) => this.serveClient(client));
  }

  /**
   * One /client connection: pipelined requests, each answered (in any order) by requestId. A frame
   * holds one request map or an array of 1 to clientFrameRequestsMax of them; each request of an
   * array is validated on its own, so a bad one costs only its own invalid-request answer.
   */
  private serveClient(socket: WebSocket): void {
    // Answers ready in one turn leave as one frame (~90 per frame at concurrency 256); arrays only
    // to a client that has sent one, so clients of the one-map-per-frame protocol keep working.
    const outbox = new ClientFrameBatch<ClientAnswer>((frame) => {
      if (socket.readyState === socket.OPEN) socket.send(frame);
    });
    socket.on('error', (error) =>
      this.logger.warn('client: socket error', { error: error.message }),
    );
    socket.on('close', () => outbox.clear());
    socket.on('message', (data: RawData, isBinary: boolean) => {
      let frame: unknown;
      try {
        if (!isBinary) throw new InvalidRequest('Frames must be binary MessagePack.');
        frame = clientPackr.unpack(toBuffer(data));
      } catch (error) {
        this.refuseClientRequest(outbox, null, errorMessage(error));
        return;
      }
      if (!Array.isArray(frame)) {
        this.serveClientRequest(outbox, frame, undefined);
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
      frame.forEach((request: unknown, index) => this.serveClientRequest(outbox, request, index));
    });
  }

  /** Submits one /client request, or refuses it; `index` is its place in an array frame. */
  private serveClientRequest(
    outbox: ClientFrameBatch<ClientAnswer>,
    request: unknown,
    index: number | undefined,
  ) {
    const read = readClientRequest(request, index === undefined ? 'A frame' : 'A request');
    if (!read.ok) {
      this.refuseClientRequest(outbox, read.requestId, read.reason, index);
      return;
    }
    const { requestId, payload, client } = read;
    this.node.submitWith(payload, client, (outcome) =>
      outbox.push(clientAnswer(requestId, outcome, this.node)),
    );
  }

  private refuseClientRequest(
    outbox: ClientFrameBatch<ClientAnswer>,
    requestId: number | null,
    reason: string,
    index?: number,
  ): void {
    this.logger.warn('client: invalid request', { requestId, index, reason });
    outbox.push({ type: 'error', requestId, code: 'invalid-request', reason });
  }
}

/** A /client answer (docs/CLUSTER.md), matched to its request by requestId. */
type ClientAnswer =
  | {
      readonly type: 'result';
      readonly requestId: number;
      readonly slot: number;
      readonly ballot: Ballot;
      readonly result: unknown;
      readonly duplicate: boolean;
    }
  | {
      readonly type: 'error';
      /** null when the refused frame or request had no integer requestId. */
      readonly requestId: number | null;
      readonly code:
        'not-leader' | 'overloaded' | 'timeout' | 'invalid-request' | 'invalid-command';
      /** not-leader: the leader this node knows of, and its http://host:httpPort; null if none. */
      readonly leaderId?: NodeId | null;
      readonly leaderUrl?: string | null;
      /** invalid-request, invalid-command: what is wrong, as a sentence. */
      readonly reason?: string;
      /** invalid-command: the role validator's stable code (e.g. `power-out-of-range`). */
      readonly commandCode?: string;
    };

/** A /client request, validated; or why it is refused, with its requestId when it has one. */
type ClientRequestRead =
  | {
      readonly ok: true;
      readonly requestId: number;
      readonly payload: unknown;
      readonly client: { clientId: string; seq: number };
    }
  | { readonly ok: false; readonly requestId: number | null; readonly reason: string };

/** Reads one /client request: `{ type: 'submit', requestId, clientId, seq, payload }`. */
function readClientRequest(request: unknown, what: 'A frame' | 'A request'): ClientRequestRead {
  if (!isPlainObject(request)) {
    const reason =
      what === 'A frame'
        ? `A frame must be a map (one request) or an array of 1 to ${clientFrameRequestsMax} maps.`
        : 'A request must be a map.';
    return { ok: false, requestId: null, reason };
  }
  const requestId = Number.isSafeInteger(request.requestId) ? (request.requestId as number) : null;
  try {
    if (request.type !== 'submit') throw new InvalidRequest('The request type must be "submit".');
    if (requestId === null) throw new InvalidRequest('requestId must be an integer.');
    const { payload, client } = readSubmit(request);
    if (!client) throw new InvalidRequest('A /client submit needs clientId and seq.');
    return { ok: true, requestId, payload, client };
  } catch (error) {
    return { ok: false, requestId, reason: errorMessage(error) };
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

/** Validates a submit body (HTTP or /client): payload, and clientId with seq or neither. */
function readSubmit(body: unknown): {
  payload: unknown;
  client: { clientId: string; seq: number } | undefined;
} {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequest('The body must be a JSON object.');
  }
  const { payload, clientId, seq } = body as Record<string, unknown>;
  if (payload === undefined) throw new InvalidRequest('The body needs a "payload".');
  try {
    readPlainData(payload, 'payload', defaultWireLimits.plainDataDepthMax);
  } catch (error) {
    throw new InvalidRequest((error as Error).message);
  }
  if (clientId === undefined && seq === undefined) return { payload, client: undefined };
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > idLengthMax) {
    throw new InvalidRequest(`clientId must be a string of 1 to ${idLengthMax} characters.`);
  }
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
    throw new InvalidRequest('seq must be a whole number of at least 1.');
  }
  return { payload, client: { clientId, seq } };
}

function httpAnswer(outcome: CallOutcome, node: ClusterNode): [number, unknown] {
  if (outcome.ok) {
    const { slot, ballot, result, duplicate } = outcome;
    return [200, { slot, ballot, result, duplicate }];
  }
  switch (outcome.code) {
    case 'not-leader':
      return [
        421,
        {
          error: 'not-leader',
          leaderId: outcome.leaderId,
          leaderUrl: node.urlOf(outcome.leaderId),
        },
      ];
    case 'overloaded':
      return [503, { error: 'overloaded' }];
    case 'timeout':
      return [504, { error: 'timeout' }];
    case 'closed':
      return [503, { error: 'overloaded', reason: 'The node is shutting down.' }];
    case 'invalid-command':
      return [
        400,
        { error: 'invalid-command', commandCode: outcome.commandCode, reason: outcome.reason },
      ];
  }
}

function clientAnswer(requestId: number, outcome: CallOutcome, node: ClusterNode): ClientAnswer {
  if (outcome.ok) {
    const { slot, ballot, result, duplicate } = outcome;
    return { type: 'result', requestId, slot, ballot, result, duplicate };
  }
  switch (outcome.code) {
    case 'not-leader':
      return {
        type: 'error',
        requestId,
        code: 'not-leader',
        leaderId: outcome.leaderId,
        leaderUrl: node.urlOf(outcome.leaderId),
      };
    case 'timeout':
      return { type: 'error', requestId, code: 'timeout' };
    case 'overloaded':
    case 'closed':
      return { type: 'error', requestId, code: 'overloaded' };
    case 'invalid-command':
      return {
        type: 'error',
        requestId,
        code: 'invalid-command',
        commandCode: outcome.commandCode,
        reason: outcome.reason,
      };
  }
}
