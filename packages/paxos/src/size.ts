/**
 * An upper bound on the MessagePack size of plain data, without encoding it (the core does no I/O
 * and knows no codec): 3 bytes per UTF-16 unit of a string (UTF-8's worst case), 9 per number, and
 * 5 bytes of header per string, array and map. Used to keep slots and catch-up replies inside the
 * wire's frame limit (docs/STYLE.md rule 3: a limit on everything). Plain data only: what the runtime
 * admits as a payload (wire `readPlainData`), so no cycles; the walk is iterative besides.
 */
export function estimateBytes(value: unknown): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') total += 5 + 3 * item.length;
    else if (typeof item === 'number') total += 9;
    else if (item === null || typeof item !== 'object') total += 1;
    else if (Array.isArray(item)) {
      total += 5;
      for (const element of item) stack.push(element);
    } else if (ArrayBuffer.isView(item)) {
      total += 5 + item.byteLength;
    } else {
      total += 5;
      for (const [key, field] of Object.entries(item)) {
        total += 5 + 3 * key.length;
        stack.push(field);
      }
    }
  }
  return total;
}

interface CommandLike {
  readonly clientId: string;
  readonly seq: number;
  readonly payload: unknown;
}

/** A slot value's estimated bytes: its encoding's size when it has one, else the sum of its commands'. */
export function estimateValueBytes(value: {
  readonly commands: readonly CommandLike[];
  readonly encodedBytes?: number;
}): number {
  if (value.encodedBytes !== undefined) return value.encodedBytes;
  let total = 0;
  for (const command of value.commands) total += estimateCommandBytes(command);
  return total;
}

/** A command's estimated bytes: its client id, seq and payload. */
export function estimateCommandBytes(command: CommandLike): number {
  return 5 + 3 * command.clientId.length + 9 + estimateBytes(command.payload);
}
