/**
 * Authenticated control of a node's HTTP API (docs/CLUSTER.md, "Authentication"). Every request
 * that can change state — any method but GET and HEAD, and the /client WebSocket — must carry the
 * API token, come from no foreign Origin, name a Host that cannot be a rebound DNS name, and (POST,
 * PUT) have a JSON body. Read-only requests stay open.
 *
 * The token is derived from the cluster secret, so every node computes it without a new setting and
 * a holder of the token does not hold the secret (it cannot join the cluster as a peer).
 */
import { createHash, createHmac } from 'node:crypto';
// One constant-time compare for every secret (a timing leak would reveal the token byte by byte).
import { secretsEqual } from '@evpaxos/ocpp';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The HMAC input's domain: a token is never equal to any other HMAC of the secret we compute. */
const tokenDomain = 'evpaxos/api-token/v1';

/** The header a client sends the token in: `Authorization: Bearer <token>`. */
export const API_TOKEN_SCHEME = 'Bearer';

/** The launcher's file holding the token, beside processes.json (mode 0600). */
export const API_TOKEN_FILE = 'api-token';

/** The environment variable a script or container gives the token in (overrides the file). */
export const API_TOKEN_ENV = 'EVPAXOS_API_TOKEN';

/** The API token of a cluster: HMAC-SHA256 of its id under the secret, as 64 hex characters. */
export function apiToken(secret: string, clusterId: string): string {
  const hmac = createHmac('sha256', secret);
  for (const field of [tokenDomain, clusterId]) {
    // Length-prefixed, as the handshake's proof (packages/transport/src/handshake.ts).
    const bytes = Buffer.from(field, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hmac.update(length);
    hmac.update(bytes);
  }
  return hmac.digest('hex');
}

/**
 * The dashboard's cookie name for a token. Cookies are scoped by host, not port: two clusters on
 * one machine would overwrite one name, so the name carries a digest of the token.
 */
export function apiCookieName(token: string): string {
  return `evpaxos-${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

/** Headers that authenticate a request with `token` (none when there is no token). */
export function apiAuthHeaders(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `${API_TOKEN_SCHEME} ${token}` };
}

/** Why a request is refused: the status, a stable code and a sentence for the client and the log. */
export interface ApiRefusal {
  readonly status: 401 | 403 | 415;
  readonly error: 'unauthorized' | 'forbidden' | 'unsupported-media-type';
  readonly reason: string;
}

/** Whether a method can change state: everything but GET and HEAD (docs/CLUSTER.md). */
export function isMutatingMethod(method: string | undefined): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

/**
 * Checks requests against the token, Host and Origin. `hostNames` are the names (beside IP
 * addresses and localhost) a Host header may carry: the cluster's configured hosts.
 */
export class ApiGuard {
  private readonly hostNames: ReadonlySet<string>;
  private readonly cookieName: string;

  constructor(
    private readonly token: string,
    hostNames: Iterable<string>,
  ) {
    this.hostNames = new Set([...hostNames].map((name) => name.toLowerCase()));
    this.cookieName = apiCookieName(token);
  }

  /** The Set-Cookie value that gives a browser the token (HttpOnly, this origin only). */
  sessionCookie(): string {
    return `${this.cookieName}=${this.token}; HttpOnly; SameSite=Strict; Path=/`;
  }

  /** Whether `token` is this cluster's token (the dashboard's session exchange). */
  isToken(token: unknown): boolean {
    return typeof token === 'string' && secretsEqual(token, this.token);
  }

  /**
   * Checks a request that can change state; `body` says whether it must declare a JSON body (POST,
   * PUT). Returns undefined when it may proceed.
   */
  check(request: IncomingMessage, body: boolean): ApiRefusal | undefined {
    const origin = this.checkOrigin(request);
    if (origin !== undefined) return origin;
    if (!this.hasToken(request)) {
      return {
        status: 401,
        error: 'unauthorized',
        reason:
          "This request changes state and needs the API token (Authorization: Bearer, from the launcher dir's api-token file or EVPAXOS_API_TOKEN).",
      };
    }
    if (body && !isJson(request.headers['content-type'])) {
      return {
        status: 415,
        error: 'unsupported-media-type',
        reason: `The body must be application/json (got ${request.headers['content-type'] ?? 'no Content-Type'}).`,
      };
    }
    return undefined;
  }

  /**
   * DNS rebinding and cross-site requests: the Host must be an IP address, localhost or a cluster
   * host (a rebound name is none of them), and an Origin, when a browser sends one, must be this
   * very host and port.
   */
  private checkOrigin(request: IncomingMessage): ApiRefusal | undefined {
    const host = request.headers.host;
    if (host === undefined || !this.isKnownHost(hostName(host))) {
      return {
        status: 403,
        error: 'forbidden',
        reason: `The Host ${host ?? '(none)'} is not an IP address, localhost or a cluster host.`,
      };
    }
    const origin = request.headers.origin;
    if (origin === undefined) return undefined;
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = '';
    }
    if (originHost.toLowerCase() !== host.toLowerCase()) {
      return {
        status: 403,
        error: 'forbidden',
        reason: `The Origin ${origin} is not this node (${host}): cross-site requests are refused.`,
      };
    }
    return undefined;
  }

  private isKnownHost(name: string): boolean {
    const lower = name.toLowerCase();
    return (
      isIP(lower) !== 0 ||
      lower === 'localhost' ||
      lower.endsWith('.localhost') ||
      this.hostNames.has(lower)
    );
  }

  private hasToken(request: IncomingMessage): boolean {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const [scheme, value] = header.split(' ', 2);
      // RFC 9110 §11.1: the scheme is case-insensitive (`bearer` is as good as `Bearer`).
      const bearer = scheme?.toLowerCase() === API_TOKEN_SCHEME.toLowerCase();
      return bearer && value !== undefined && secretsEqual(value, this.token);
    }
    const cookie = readCookie(request.headers.cookie, this.cookieName);
    return cookie !== undefined && secretsEqual(cookie, this.token);
  }
}

/** The name part of a Host header: `[::1]:80` → `::1`, `a.b:80` → `a.b`. */
function hostName(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed) return bracketed[1] as string;
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  return contentType.split(';', 1)[0]?.trim().toLowerCase() === 'application/json';
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
