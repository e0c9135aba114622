import { HttpTimeoutError, httpJson } from '@evpaxos/runtime';
import { DASHBOARD_LIMITS } from './constants';

/**
 * A node's JSON over the one HTTP client of the API (httpJson), not `fetch`: Node's fetch (undici,
 * its HTTP parser a WebAssembly module) held ~2.4 MiB more heap and ~7 MiB more RSS in a central
 * that polls every few seconds (docs/BENCHMARKS.md, "Issue 21: a charge point's heap, fifth session").
 * The error is what the dashboard shows for an unreachable node: the socket's code, `TimeoutError`,
 * or the HTTP status.
 */
export async function getJson<T>(url: string): Promise<{ value: T | null; error: string | null }> {
  try {
    const answer = await httpJson(url, 'GET', undefined, DASHBOARD_LIMITS.pollTimeoutMs);
    if (answer.status !== 200) return { value: null, error: `HTTP ${answer.status}` };
    // Every route polled answers a JSON object; anything else is a broken reply, not a reading.
    if (answer.body === null || typeof answer.body !== 'object') {
      return { value: null, error: 'not JSON' };
    }
    return { value: answer.body as T, error: null };
  } catch (error) {
    if (error instanceof HttpTimeoutError) return { value: null, error: 'TimeoutError' };
    const code = (error as { code?: unknown }).code;
    return {
      value: null,
      error: typeof code === 'string' ? code : error instanceof Error ? error.name : String(error),
    };
  }
}
