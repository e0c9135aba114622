/**
 * The narrow, typed surface of ocpp-rpc that this package uses. ocpp-rpc's own typings declare every
 * option as required (docs/OCPP.md §1.6) and type handlers loosely, so the rest of the code sees
 * only these interfaces; the casts live here and nowhere else.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import * as ocppRpc from 'ocpp-rpc';
import { OcppError } from './errors';

export interface RpcCallContext {
  readonly method: string;
  readonly params: unknown;
  readonly messageId: string;
}

export interface StrictValidationFailureEvent {
  readonly error: Error & { rpcErrorCode?: string; details?: unknown };
  readonly messageId: string;
  readonly method: string;
  readonly params: unknown;
  readonly result: unknown;
  readonly outbound: boolean;
  readonly isCall: boolean;
}

export interface BadMessageEvent {
  readonly buffer: Buffer | string;
  readonly error: Error;
  readonly response: unknown;
}

/** What we use of RPCClient and RPCServerClient. */
export interface RpcPeer {
  readonly identity: string | undefined;
  readonly protocol: string | undefined;
  readonly state: number;
  connect(): Promise<unknown>;
  call(method: string, params: unknown, options?: { callTimeoutMs?: number }): Promise<unknown>;
  handle(method: string, handler: (context: RpcCallContext) => Promise<unknown>): void;
  close(options?: { code?: number; reason?: string; force?: boolean }): Promise<unknown>;
  on(
    event: 'strictValidationFailure',
    listener: (event: StrictValidationFailureEvent) => void,
  ): void;
  on(event: 'badMessage', listener: (event: BadMessageEvent) => void): void;
  on(
    event: 'close' | 'disconnect',
    listener: (event: { code?: number; reason?: string }) => void,
  ): void;
  on(event: 'socketError', listener: (error: Error) => void): void;
  removeAllListeners(): void;
}

export interface RpcHandshake {
  readonly identity: string;
  readonly remoteAddress: string | undefined;
  readonly protocols: Set<string>;
  readonly endpoint: string;
}

/** What we use of RPCServer. */
export interface RpcServer {
  readonly handleUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  auth(
    callback: (
      accept: (session?: unknown, protocol?: string) => void,
      reject: (code: number, message: string) => void,
      handshake: RpcHandshake,
    ) => void,
  ): void;
  on(event: 'client', listener: (client: RpcPeer) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(
    event: 'upgradeAborted',
    listener: (event: { error: Error; identity: string; request: IncomingMessage }) => void,
  ): void;
  close(options?: { code?: number; reason?: string; force?: boolean }): Promise<void>;
}

export interface RpcCommonOptions {
  readonly protocols: readonly string[];
  readonly strictMode: boolean;
  readonly callTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly maxBadMessages: number;
  /** OCPP-J §4.1.1: one outstanding CALL per direction. */
  readonly callConcurrency: 1;
  readonly respondWithDetailedErrors: boolean;
}

export interface RpcClientOptions extends RpcCommonOptions {
  readonly endpoint: string;
  readonly identity: string;
  /** We rotate URLs ourselves, so ocpp-rpc's same-URL reconnect is off. */
  readonly reconnect: false;
  readonly password?: string;
  /** `ca`: the CA a wss:// CSMS certificate must chain to (Security Profile 2). */
  readonly wsOpts: { readonly handshakeTimeout: number; readonly ca?: string };
}

export interface RpcServerOptions extends RpcCommonOptions {
  /** Passed to ws's WebSocketServer: maxPayload caps a frame (larger closes with 1009). */
  readonly wssOptions: { readonly maxPayload: number };
}

type Constructor<Options, Instance> = new (options: Options) => Instance;

export function createRpcClient(options: RpcClientOptions): RpcPeer {
  const RpcClient = ocppRpc.RPCClient as unknown as Constructor<RpcClientOptions, RpcPeer>;
  return new RpcClient(options);
}

export function createRpcServer(options: RpcServerOptions): RpcServer {
  const RpcServerClass = ocppRpc.RPCServer as unknown as Constructor<RpcServerOptions, RpcServer>;
  return new RpcServerClass(options);
}

/**
 * Turns whatever ocpp-rpc rejected a call with into an OcppError. `validationErrors` holds the
 * error objects that ocpp-rpc also reported through 'strictValidationFailure' (the same objects).
 */
export function toOcppError(
  error: unknown,
  action: string,
  validationErrors: WeakSet<object>,
): OcppError {
  if (error instanceof OcppError) return error;
  const cause = error instanceof Error ? error : new Error(String(error));
  const rpcErrorCode = (cause as { rpcErrorCode?: unknown }).rpcErrorCode;
  const details = (cause as { details?: unknown }).details;
  if (validationErrors.has(cause)) {
    return new OcppError(
      'OCPP_VALIDATION',
      `${action}: schema validation failed: ${cause.message}`,
      typeof rpcErrorCode === 'string' ? rpcErrorCode : undefined,
      details,
    );
  }
  if (cause instanceof ocppRpc.TimeoutError) {
    return new OcppError('OCPP_TIMEOUT', `${action}: no response: ${cause.message}`);
  }
  if (typeof rpcErrorCode === 'string') {
    return new OcppError(
      'OCPP_CALL_ERROR',
      `${action}: CALLERROR ${rpcErrorCode}: ${cause.message}`,
      rpcErrorCode,
      details,
    );
  }
  if (cause.name === 'AbortError') {
    return new OcppError('OCPP_CLOSED', `${action}: ${cause.message}`);
  }
  if (/not open/i.test(cause.message)) {
    return new OcppError('OCPP_NOT_CONNECTED', `${action}: ${cause.message}`);
  }
  return new OcppError('OCPP_CLOSED', `${action}: ${cause.message}`);
}

/** ocpp-rpc's connection states (the ws readyState values). */
export const rpcStateOpen = 1;
