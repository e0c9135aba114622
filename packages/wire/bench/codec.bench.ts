/**
 * bench:wire — microseconds to encode and to decode the cluster's commonest frames on one idle
 * core: a 64-command Accept (the bench client's command: a `StopSession` with a 100-byte string),
 * its Accepted, a Decide of 4 commit notices and a heartbeat; and, apart, a 64-command value's
 * commands (what the leader encodes once per slot and each learner decodes when it applies it).
 * Not a test: numbers are printed.
 *
 * Usage: npm run bench:wire [-- --compare OTHER/packages/wire/dist/src/index.js] [--ms 100]
 *   [--rounds 20]
 * `--compare` measures another build's codec (a tree before a change) with the same messages in
 * the same process, the two taking turns, so a before/after pair shares the machine's load
 * (docs/BENCHMARKS.md, "Issue 21: CPU per command").
 */
import * as path from 'node:path';
import type { Message, Value } from '@evpaxos/paxos';

/** The public API this bench uses: present in builds before and after the array format. */
interface WireModule {
  readonly WIRE_VERSION: number;
  readonly clusterCodec: {
    encode(envelope: { v: number; kind: 'paxos'; body: Message }): Uint8Array;
    decodeAll(bytes: Uint8Array): { body: unknown }[];
  };
  encodeValue(value: Value): Value & { readonly bytes: Buffer };
  readonly EncodedValue: new (bytes: Buffer) => Value;
}

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const comparePath = argument('compare');
const windowMs = Number(argument('ms') ?? 100);
const rounds = Number(argument('rounds') ?? 20);

/* eslint-disable @typescript-eslint/no-require-imports -- a build chosen at run time */
const builds: { name: string; wire: WireModule }[] = [
  { name: 'this build', wire: require('../src') as WireModule },
  ...(comparePath === undefined
    ? []
    : [{ name: comparePath, wire: require(path.resolve(comparePath)) as WireModule }]),
];
/* eslint-enable @typescript-eslint/no-require-imports */

const ballot = { round: 7, proposerId: 'central-a' };
const hundredBytes = 'x'.repeat(100);

function commandsOf(count: number, seqBase: number): Value {
  return {
    commands: Array.from({ length: count }, (_, index) => ({
      clientId: `bench-4242-lx1z2y-${index}`,
      seq: seqBase + index,
      payload: { type: 'StopSession', atMs: 0, transactionId: 'bench', value: hundredBytes },
    })),
  };
}

/** Microseconds per call of `work` over one window of about `windowMs`. */
function measureOnce(work: (iteration: number) => unknown): number {
  let sink: unknown;
  let calls = 0;
  const started = process.hrtime.bigint();
  const endNs = started + BigInt(windowMs) * 1_000_000n;
  let now = started;
  while (now < endNs) {
    for (let i = 0; i < 50; i += 1) sink = work(calls + i);
    calls += 50;
    now = process.hrtime.bigint();
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return Number(now - started) / 1000 / calls;
}

/**
 * Microseconds per call of each build's `work`: the builds take turns, window by window, and each
 * keeps its fastest window — on a shared machine the others measured the neighbours too, and
 * taking turns gives both builds the same neighbours.
 */
function compare(works: ((iteration: number) => unknown)[]): number[] {
  for (const work of works) for (let i = 0; i < 2000; i += 1) work(i);
  const fastestUs = works.map(() => Infinity);
  for (let round = 0; round < rounds; round += 1) {
    works.forEach((work, index) => {
      fastestUs[index] = Math.min(fastestUs[index] ?? Infinity, measureOnce(work));
    });
  }
  return fastestUs;
}

interface Case {
  readonly name: string;
  readonly encode: (wire: WireModule) => (iteration: number) => unknown;
  readonly decode: (wire: WireModule) => (iteration: number) => unknown;
  readonly bytes: (wire: WireModule) => number;
}

function frameCase(name: string, message: (wire: WireModule, i: number) => Message): Case {
  const encode = (wire: WireModule, i: number) =>
    wire.clusterCodec.encode({ v: wire.WIRE_VERSION, kind: 'paxos', body: message(wire, i) });
  return {
    name,
    encode: (wire) => (i) => encode(wire, i),
    decode: (wire) => {
      const frame = encode(wire, 0);
      return () => wire.clusterCodec.decodeAll(frame);
    },
    bytes: (wire) => encode(wire, 0).length,
  };
}

function main(): void {
  const value = commandsOf(64, 1000);
  // The leader encodes a slot's value once (value-codec.ts); each Accept then carries its bytes.
  const encodedValues = new Map(builds.map(({ wire }) => [wire, wire.encodeValue(value)]));
  const valueOf = (wire: WireModule) => encodedValues.get(wire) as Value & { bytes: Buffer };
  const fresh = (i: number): Value => ({ commands: value.commands.map((c) => ({ ...c, seq: i })) });
  const cases: Case[] = [
    frameCase('accept, 64 commands', (wire, i) => ({
      type: 'accept',
      ballot,
      slot: 100_000 + i,
      value: valueOf(wire),
    })),
    frameCase('accepted', (_, i) => ({ type: 'accepted', ballot, slot: 100_000 + i })),
    frameCase('decide, 4 commit notices', (_, i) => ({
      type: 'decide',
      entries: [0, 1, 2, 3].map((k) => ({ slot: 100_000 + i + k, ballot })),
    })),
    frameCase('heartbeat', (_, i) => ({ type: 'heartbeat', ballot, decidedBelow: i })),
    {
      // A value's commands: encoded once by the leader, decoded and checked by every learner.
      name: "a value's 64 commands (leader encodes, each learner decodes)",
      encode: (wire) => (i) => wire.encodeValue(fresh(i)),
      decode: (wire) => () => new wire.EncodedValue(valueOf(wire).bytes).commands,
      bytes: (wire) => valueOf(wire).bytes.length,
    },
  ];
  console.log(`wire codec, µs per call, fastest of ${rounds} windows of ${windowMs} ms per build`);
  console.log(
    `builds: ${builds.map((b) => `${b.name} (envelope v${b.wire.WIRE_VERSION})`).join(' / ')}`,
  );
  console.log('| frame | encode µs | decode + validate µs | bytes |');
  console.log('|---|---|---|---|');
  for (const item of cases) {
    const encodeUs = compare(builds.map(({ wire }) => item.encode(wire)));
    const decodeUs = compare(builds.map(({ wire }) => item.decode(wire)));
    const bytes = builds.map(({ wire }) => item.bytes(wire));
    const cell = (numbers: number[], digits: number) =>
      numbers.map((n) => n.toFixed(digits)).join(' / ');
    console.log(
      `| ${item.name} | ${cell(encodeUs, 2)} | ${cell(decodeUs, 2)} | ${cell(bytes, 0)} |`,
    );
  }
  if (builds.length > 1) console.log('(each cell: this build / the other)');
}

main();
