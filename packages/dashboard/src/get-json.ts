import { DASHBOARD_LIMITS } from './constants';

/** GET `url` as JSON within the poll timeout: the value, or why there is none. */
export async function getJson<T>(url: string): Promise<{ value: T | null; error: string | null }> {
  try {
    const answer = await fetch(url, {
      signal: AbortSignal.timeout(DASHBOARD_LIMITS.pollTimeoutMs),
    });
    if (answer.status !== 200) return { value: null, error: `HTTP ${answer.status}` };
    return { value: (await answer.json()) as T, error: null };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return {
      value: null,
      error: cause ?? (error instanceof Error ? error.name : String(error)),
    };
  }
}
