/** The logger the charge point's modules write their lines to (winston's shape; a fake in tests). */
export interface ControllerLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** An error's message for a log line (a rejection may carry any value). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
