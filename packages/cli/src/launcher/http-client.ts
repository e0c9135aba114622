// The launcher's HTTP client is the runtime's one API client (packages/runtime/src/api-client.ts),
// so the CLI, the dashboard and the scripts send the API token the same way.
export { HttpTimeoutError, httpJson, readApiToken, type HttpReply } from '@evpaxos/runtime';
