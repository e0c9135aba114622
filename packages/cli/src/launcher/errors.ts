/**
 * Every way the launcher refuses or fails, with a stable `code` (docs/STYLE.md rule 4: operating
 * errors are typed). Usage errors — a bad argument the user can fix by retyping — exit 2, like
 * yargs' own; everything else exits 1.
 */
export type LauncherErrorCode =
  | 'invalid-option'
  | 'unknown-node'
  | 'bad-partition-spec'
  | 'cluster-already-up'
  | 'no-cluster'
  | 'port-in-use'
  | 'start-failed'
  | 'not-ready'
  | 'no-leader'
  | 'node-down'
  | 'submit-rejected'
  | 'submit-timeout'
  | 'unauthorized'
  | 'membership-refused'
  | 'http-error';

const usageCodes: ReadonlySet<LauncherErrorCode> = new Set([
  'invalid-option',
  'unknown-node',
  'bad-partition-spec',
]);

export class LauncherError extends Error {
  readonly code: LauncherErrorCode;

  constructor(code: LauncherErrorCode, message: string) {
    super(message);
    this.name = 'LauncherError';
    this.code = code;
  }

  /** The process exit code the CLI uses for this error. */
  get exitCode(): number {
    return usageCodes.has(this.code) ? 2 : 1;
  }
}
