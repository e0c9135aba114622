import { defaultPaxosOptions, type PaxosOptions } from '../config';
import { createPrng, randomInt, type Random } from '../prng';

export const faultKinds = [
  'loss',
  'dup',
  'reorder',
  'partition',
  'crash',
  'pause',
  'disk-loss',
  'membership',
] as const;
export type FaultKind = (typeof faultKinds)[number];

/**
 * Dimensions a caller may pin (the CLI's `--acceptors 5` and friends). Whatever is left out, the
 * swarm draws from the seed.
 */
export interface SwarmPins {
  readonly proposers?: number;
  readonly acceptors?: number;
  /** Nodes that only learn. */
  readonly learners?: number;
  readonly phase1Quorum?: number;
  readonly phase2Quorum?: number;
  readonly clients?: number;
  readonly commandsPerClient?: number;
  /** A client resubmits a command it has not seen applied after this many ticks. */
  readonly clientRetryTicks?: number;
  /** Commands a client has submitted and not yet seen applied, at most (pipelining). */
  readonly clientOutstandingMax?: number;
  /** Pinned limits and timings of the core; the others are drawn. */
  readonly paxosOptions?: Partial<PaxosOptions>;
}

/** Probabilities per message (loss, duplication, slow) or per tick (partitions, crashes, pauses). */
export interface FaultRates {
  readonly lossProbability: number;
  readonly duplicateProbability: number;
  /** A message that takes the slow path: a long delay, as a retransmitting TCP link or a full queue. */
  readonly slowProbability: number;
  /**
   * Per tick: one node's inbound link stalls, and what is sent to it meanwhile arrives together
   * when the stall ends (a congested link delivering its backlog; messages from a sender's
   * previous life then land after its restart).
   */
  readonly stallProbability: number;
  readonly partitionStartProbability: number;
  readonly partitionHealProbability: number;
  readonly crashProbability: number;
  readonly pauseProbability: number;
  readonly crashAfterWriteProbability: number;
  /** Per batch of two or more messages with an Accept: the node dies after sending only some. */
  readonly crashMidSendProbability: number;
  /** Per tick: an acceptor crashes and its persisted state is wiped (disk-loss; simulator.ts). */
  readonly diskLossProbability: number;
  /** Per tick: an operator submits a reconfiguration (membership; sim/membership-operator.ts). */
  readonly membershipProbability: number;
}

/**
 * One seed's whole configuration and fault mix (swarm testing: Groce et al., ISSTA 2012; the same
 * idea as FoundationDB's simulation and TigerBeetle's VOPR). Each seed leaves some faults out and
 * turns the others up or down, and picks its own cluster shape and limits, so that a few hundred
 * seeds reach corners one fixed configuration never does: a lone central restarting into the ballot
 * of its previous life, promises split into parts by a small byte budget, flexible quorums.
 */
export interface SimScenario {
  readonly proposers: number;
  readonly acceptors: number;
  readonly learners: number;
  /** Nodes outside the first configuration that a reconfiguration may add (membership fault). */
  readonly spares: number;
  readonly phase1Quorum: number;
  readonly phase2Quorum: number;
  readonly clients: number;
  readonly commandsPerClient: number;
  /** A client command carries a padding string of up to this many characters (0: none). */
  readonly payloadCharsMax: number;
  /** Clients submit their commands over this many ticks of the fault phase. */
  readonly arrivalTicks: number;
  readonly clientRetryTicks: number;
  readonly clientOutstandingMax: number;
  /** The drawn subset of the faults the caller allowed. */
  readonly faults: readonly FaultKind[];
  readonly rates: FaultRates;
  /** Every message takes 1 to this many ticks when reordering is on (1 tick without it). */
  readonly delayTicksMax: number;
  /** A slow message takes up to this many ticks (during the fault phase). */
  readonly slowDelayTicksMax: number;
  /** A stalled link holds its messages for 1 to this many ticks. */
  readonly stallTicksMax: number;
  /** A crashed node restarts after 1 to this many ticks. */
  readonly restartDelayTicksMax: number;
  /** Of the crashes, this share hits the node that leads (a nemesis aimed at the leader). */
  readonly leaderCrashShare: number;
  /**
   * Of the partitions, this share cuts the leader off with a minority that still hears the
   * majority (partitions.ts, mute-leader-one-way); the others draw their kind. 0 but in the
   * stale-minority profile.
   */
  readonly muteLeaderOneWayShare: number;
  /** The nemesis profile the seed drew (nemesisProfiles): how its fault intensities lean. */
  readonly profile: NemesisProfileName;
  readonly paxosOptions: Partial<PaxosOptions>;
}

/** A drawn scenario before its profile leans it: the fields a profile may change. */
type Leanable = Pick<
  SimScenario,
  'rates' | 'leaderCrashShare' | 'restartDelayTicksMax' | 'proposers' | 'muteLeaderOneWayShare'
>;

/**
 * Nemesis profiles: some seeds lean their fault mix one way, so that conditions a uniform draw
 * makes rare come up in a few percent of seeds (swarm testing's point, Groce et al. §3: a test
 * reaches more when each run leaves things out and turns others up). Each profile only sets
 * intensities, within what the caller allowed: a fault it needs but the caller left out stays
 * out. To add one (membership changes, disk loss), add an entry; its weight is its share of seeds.
 */
const nemesisProfiles = {
  /** The uniform draw above, unchanged. */
  mixed: { weight: 3, lean: (drawn: Leanable, _random: Random): Leanable => drawn },
  /**
   * Leader churn (Jepsen's kill-primary, FoundationDB's buggify at the worst moment): the leader
   * dies often, right after one Accept of a batch left, and comes back fast; messages are lost
   * often. A value then sits at a minority that the next leader's phase-1 quorum may miss, the
   * next leader proposes another value in that slot, and its Accept to that minority may be lost
   * while the commit notice behind it arrives: where learner and ballot bugs show.
   */
  'leader-churn': {
    weight: 2,
    lean: (drawn: Leanable, random: Random): Leanable => ({
      ...drawn,
      rates: {
        ...drawn.rates,
        crashProbability: between(random, 0.01, 0.05),
        crashMidSendProbability: between(random, 0.2, 0.6),
        lossProbability: between(random, 0.05, 0.25),
        slowProbability: between(random, 0.02, 0.1),
      },
      leaderCrashShare: between(random, 0.6, 1),
      restartDelayTicksMax: randomInt(random, 1, 20),
    }),
  },
  /**
   * Split brain (Jepsen's partition nemeses, long ones): two or three proposers, partitions that
   * start often and last long — half of them cut the leader off with a minority of the acceptors
   * — and lossy links. The old leader goes on proposing to its minority while the majority side's
   * new leader decides other values in the same slots; when the partition heals, or one-way while
   * it lasts, the new leader's messages reach acceptors that hold the old values.
   */
  'split-brain': {
    weight: 3,
    lean: (drawn: Leanable, random: Random): Leanable => ({
      ...drawn,
      proposers: Math.max(2, drawn.proposers),
      rates: {
        ...drawn.rates,
        partitionStartProbability: between(random, 0.02, 0.06),
        partitionHealProbability: between(random, 0.005, 0.03),
        lossProbability: between(random, 0.05, 0.25),
        slowProbability: between(random, 0.02, 0.1),
      },
    }),
  },
  /**
   * A stale minority (issue 22: what `learner-ignores-notice-ballot` needs, and split-brain drew
   * in under 1 % of seeds): at least two proposers, and every partition the leader cut off with a
   * minority of the acceptors that still hears the majority, for long. The minority accepts the
   * old leader's values in slots the majority's new leader then decides otherwise, and the new
   * leader's Accepts and commit notices reach the minority — the Accept late (slow messages) or
   * not at all (loss), the notice first. Leader crashes right after one Accept of a batch left
   * (a value at a minority again, a restarted leader's phase-1 quorum missing it) add the same
   * state without a partition.
   */
  'stale-minority': {
    weight: 8,
    lean: (drawn: Leanable, random: Random): Leanable => ({
      ...drawn,
      proposers: Math.max(2, drawn.proposers),
      rates: {
        ...drawn.rates,
        partitionStartProbability: between(random, 0.03, 0.08),
        partitionHealProbability: between(random, 0.005, 0.03),
        lossProbability: between(random, 0.1, 0.25),
        slowProbability: between(random, 0.05, 0.2),
        crashProbability: between(random, 0.005, 0.015),
        crashMidSendProbability: between(random, 0.2, 0.6),
      },
      leaderCrashShare: between(random, 0.6, 1),
      restartDelayTicksMax: randomInt(random, 1, 10),
      muteLeaderOneWayShare: 1,
    }),
  },
  /**
   * An amnesiac leader (what `acceptor-repromises-equal-ballot` needs; the leader's own crash, as
   * in leader-churn, but with one proposer): a central keeps no state, so after a crash it
   * campaigns again with the ballot it led with, while Accepts of its old life are still slow in
   * transit. An acceptor that promised that equal ballot again would accept both lives' values in
   * one slot under one ballot (Paxos Made Simple §2.2, P1a: promise only a higher ballot).
   */
  'amnesiac-leader': {
    weight: 3,
    lean: (drawn: Leanable, random: Random): Leanable => ({
      ...drawn,
      proposers: 1,
      rates: {
        ...drawn.rates,
        crashProbability: between(random, 0.01, 0.04),
        crashMidSendProbability: between(random, 0.3, 0.8),
        slowProbability: between(random, 0.1, 0.3),
      },
      leaderCrashShare: 1,
      restartDelayTicksMax: randomInt(random, 1, 5),
    }),
  },
} as const;

export type NemesisProfileName = keyof typeof nemesisProfiles;

function between(random: Random, low: number, high: number): number {
  return low + (high - low) * random();
}

/** The ranges each dimension is drawn from. Small limits, so a short run fills windows, batches and snapshots. */
/** Value → weight: proposers 1–3, acceptors 3–7. */
const proposerWeights: readonly (readonly [number, number])[] = [
  [1, 4],
  [2, 3],
  [3, 3],
];
const acceptorWeights: readonly (readonly [number, number])[] = [
  [3, 4],
  [4, 2],
  [5, 2],
  [6, 1],
  [7, 1],
];

const ranges = {
  learners: [0, 2],
  clients: [1, 5],
  commandsPerClient: [3, 16],
  clientRetryTicks: [5, 60],
  clientOutstandingMax: [1, 4],
  arrivalTicks: [50, 500],
  windowSlotsMax: [1, 6],
  batchCommandsMax: [1, 5],
  snapshotEverySlots: [2, 16],
  logTailSlots: [1, 6],
  catchupEntriesMax: [1, 6],
  electionTimeoutTicks: [8, 24],
  retryTicks: [3, 10],
  delayTicksMax: [2, 10],
  slowDelayTicksMax: [10, 80],
  stallTicksMax: [5, 80],
  restartDelayTicksMax: [1, 60],
  /** A small value budget (bytes), drawn in some seeds, so slots, promises and catch-ups split. */
  valueBytesMax: [60, 400],
} as const;

const diskLossRange = [0.001, 0.01] as const;
const membershipRange = [0.002, 0.01] as const;

const rateRanges: {
  readonly [
    K in Exclude<keyof FaultRates, 'diskLossProbability' | 'membershipProbability'>
  ]: readonly [number, number];
} = {
  lossProbability: [0, 0.15],
  duplicateProbability: [0, 0.1],
  slowProbability: [0, 0.05],
  stallProbability: [0, 0.03],
  partitionStartProbability: [0.005, 0.04],
  partitionHealProbability: [0.01, 0.15],
  crashProbability: [0.002, 0.04],
  pauseProbability: [0.005, 0.05],
  crashAfterWriteProbability: [0, 0.01],
  crashMidSendProbability: [0, 0.1],
};

/** Each allowed fault is left out of a seed with this probability (swarm testing's feature omission). */
const faultOmitProbability = 0.25;

/**
 * Draws a seed's scenario. Every dimension is drawn whether pinned or not, in a fixed order, so
 * pinning one (`--acceptors 5`) leaves the others as they were for that seed.
 */
export function drawScenario(
  seed: number,
  allowedFaults: ReadonlySet<FaultKind>,
  pins: SwarmPins = {},
): SimScenario {
  // Its own stream, apart from the simulation's: the scenario does not shift the run's draws.
  const random = createPrng((seed ^ 0x5eed5a1f) >>> 0);
  const draw = (name: keyof typeof ranges): number => {
    const [min, max] = ranges[name];
    return randomInt(random, min, max);
  };
  // Weighted toward small clusters and a lone central (the site's usual shape): there one
  // crash changes the most, and a run's few hundred ticks reach the deepest interleavings.
  const drawnProposers = weighted(random, proposerWeights);
  const drawnAcceptors = weighted(random, acceptorWeights);
  const quorumDraw = random();
  const quorumSplitDraw = random();
  const acceptors = pins.acceptors ?? pinnedCompatibleAcceptors(drawnAcceptors, pins);
  const { phase1Quorum, phase2Quorum } = drawQuorums(acceptors, quorumDraw, quorumSplitDraw, pins);
  const learners = draw('learners');
  const clients = draw('clients');
  const commandsPerClient = draw('commandsPerClient');
  const payloadCharsMax = random() < 0.5 ? 0 : randomInt(random, 1, 60);
  const arrivalTicks = draw('arrivalTicks');
  const clientRetryTicks = draw('clientRetryTicks');
  const clientOutstandingMax = draw('clientOutstandingMax');
  const faults: FaultKind[] = faultKinds.filter(
    (kind) =>
      kind !== 'disk-loss' &&
      kind !== 'membership' &&
      allowedFaults.has(kind) &&
      random() >= faultOmitProbability,
  );
  const rates = {} as { -readonly [K in keyof FaultRates]: number };
  for (const [name, [low, high]] of Object.entries(rateRanges)) {
    rates[name as keyof FaultRates] = low + (high - low) * random();
  }
  const delayTicksMax = draw('delayTicksMax');
  const slowDelayTicksMax = draw('slowDelayTicksMax');
  const restartDelayTicksMax = draw('restartDelayTicksMax');
  const stallTicksMax = draw('stallTicksMax');
  const leaderCrashShare = random() < 0.3 ? 0 : random();
  const paxosOptions: { -readonly [K in keyof PaxosOptions]?: PaxosOptions[K] } = {
    ...drawPaxosOptions(random, draw),
    ...pins.paxosOptions,
  };
  // After the older dimensions, before disk loss: a profile leaves every draw above as it was.
  const { profile, leaned } = drawProfile(random, {
    rates,
    leaderCrashShare,
    restartDelayTicksMax,
    proposers: drawnProposers,
    muteLeaderOneWayShare: 0,
  });
  // Drawn after every older dimension, so adding it left each seed's other draws as they were.
  if (allowedFaults.has('disk-loss') && random() >= faultOmitProbability) faults.push('disk-loss');
  rates.diskLossProbability = diskLossRange[0] + (diskLossRange[1] - diskLossRange[0]) * random();
  // Membership, drawn last of all for the same reason. A small α (Lamport's reconfiguration
  // window) in these seeds, just above the window, so a change takes effect within a short run.
  let spares = 0;
  if (allowedFaults.has('membership') && random() >= faultOmitProbability) {
    faults.push('membership');
    spares = randomInt(random, 1, 2);
    const window = paxosOptions.windowSlotsMax ?? defaultPaxosOptions.windowSlotsMax;
    paxosOptions.alphaSlots = pins.paxosOptions?.alphaSlots ?? window + randomInt(random, 1, 6);
  }
  rates.membershipProbability =
    membershipRange[0] + (membershipRange[1] - membershipRange[0]) * random();
  paxosOptions.preVote = pins.paxosOptions?.preVote ?? drawPreVote(random);
  return {
    proposers: pins.proposers ?? leaned.proposers,
    acceptors,
    learners: pins.learners ?? learners,
    spares,
    phase1Quorum,
    phase2Quorum,
    clients: pins.clients ?? clients,
    commandsPerClient: pins.commandsPerClient ?? commandsPerClient,
    payloadCharsMax,
    arrivalTicks,
    clientRetryTicks: pins.clientRetryTicks ?? clientRetryTicks,
    clientOutstandingMax: pins.clientOutstandingMax ?? clientOutstandingMax,
    faults,
    // A profile leans the older rates; disk loss and membership keep their own draws.
    rates: {
      ...leaned.rates,
      diskLossProbability: rates.diskLossProbability,
      membershipProbability: rates.membershipProbability,
    },
    delayTicksMax,
    slowDelayTicksMax,
    restartDelayTicksMax: leaned.restartDelayTicksMax,
    stallTicksMax,
    leaderCrashShare: leaned.leaderCrashShare,
    // A partition the caller left out stays out: the share only picks among partitions drawn.
    muteLeaderOneWayShare: leaned.muteLeaderOneWayShare,
    profile,
    paxosOptions: keepLimitRelations(paxosOptions, pins.paxosOptions ?? {}),
  };
}

/** The seed's nemesis profile, and the scenario as it leans it. */
function drawProfile(
  random: Random,
  drawn: Leanable,
): { profile: NemesisProfileName; leaned: Leanable } {
  const profile = weighted(
    random,
    Object.entries(nemesisProfiles).map(([name, { weight }]) => [name, weight] as const),
  ) as NemesisProfileName;
  return { profile, leaned: nemesisProfiles[profile].lean(drawn, random) };
}

/**
 * Pre-vote, drawn after every older dimension (each seed's other draws stay as they were): on in
 * half the seeds (the default), off in the rest, where standbys campaign directly and duelling
 * ballots — what several planted bugs need — stay exercised.
 */
function drawPreVote(random: Random): boolean {
  return random() < 0.5;
}

function weighted<T>(random: Random, choices: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (const [, weight] of choices) total += weight;
  let point = random() * total;
  for (const [value, weight] of choices) {
    point -= weight;
    if (point < 0) return value;
  }
  const last = choices[choices.length - 1];
  if (last === undefined) throw new Error('Invariant: a weighted draw from no choices');
  return last[0];
}

/** The drawn acceptor count, moved into what pinned quorums allow (q <= n, 2·q1 > n, q1 + q2 > n). */
function pinnedCompatibleAcceptors(drawn: number, pins: SwarmPins): number {
  const { phase1Quorum: q1, phase2Quorum: q2 } = pins;
  const low = Math.max(q1 ?? 1, q2 ?? 1);
  let high = q1 === undefined ? drawn : 2 * q1 - 1;
  if (q1 !== undefined && q2 !== undefined) high = Math.min(high, q1 + q2 - 1);
  // A contradiction among the pins is left to the config check, which names the rule.
  return Math.min(Math.max(drawn, low), Math.max(high, low));
}

/**
 * Flexible Paxos §3: any q1 and q2 with q1 + q2 > n are safe (and this core also needs 2·q1 > n,
 * docs/PAXOS.md). Half the seeds use majorities; the others a drawn split.
 */
function drawQuorums(
  acceptors: number,
  quorumDraw: number,
  splitDraw: number,
  pins: SwarmPins,
): { phase1Quorum: number; phase2Quorum: number } {
  const majority = Math.floor(acceptors / 2) + 1;
  const flexible = quorumDraw >= 0.5;
  let q1 = flexible ? majority + Math.floor(splitDraw * (acceptors - majority + 1)) : majority;
  if (pins.phase2Quorum !== undefined) q1 = Math.max(q1, acceptors - pins.phase2Quorum + 1);
  q1 = pins.phase1Quorum ?? Math.min(q1, acceptors);
  const q2 =
    pins.phase2Quorum ?? (flexible ? acceptors - q1 + 1 : Math.max(majority, acceptors - q1 + 1));
  return { phase1Quorum: q1, phase2Quorum: q2 };
}

function drawPaxosOptions(
  random: Random,
  draw: (name: keyof typeof ranges) => number,
): Partial<PaxosOptions> {
  const windowSlotsMax = draw('windowSlotsMax');
  const batchCommandsMax = draw('batchCommandsMax');
  const snapshotEverySlots = draw('snapshotEverySlots');
  const logTailSlots = draw('logTailSlots');
  const catchupEntriesMax = draw('catchupEntriesMax');
  const electionTimeoutTicks = draw('electionTimeoutTicks');
  const heartbeatTicks = randomInt(random, 1, Math.max(1, Math.floor(electionTimeoutTicks / 4)));
  const prepareRetryTicks = draw('retryTicks');
  const acceptRetryTicks = draw('retryTicks');
  const catchupRetryTicks = draw('retryTicks');
  const decidedAheadSlotsMax = windowSlotsMax + randomInt(random, 0, 8);
  // A small byte budget in half the seeds: slots hold fewer commands, promises and catch-up
  // replies come in parts (each part a separate message that can be lost or reordered).
  const small = random() < 0.5;
  const valueBytesMax = draw('valueBytesMax');
  const catchupBytesMax = valueBytesMax * randomInt(random, 1, 3);
  return {
    windowSlotsMax,
    batchCommandsMax,
    snapshotEverySlots,
    logTailSlots,
    catchupEntriesMax,
    electionTimeoutTicks,
    // [T, 2T), as Raft §5.2 has it: the swarm's timings are the paper's, not the runtime's.
    electionJitterTicks: electionTimeoutTicks,
    heartbeatTicks,
    prepareRetryTicks,
    acceptRetryTicks,
    catchupRetryTicks,
    decidedAheadSlotsMax,
    ...(small
      ? { valueBytesMax, catchupBytesMax }
      : {
          valueBytesMax: defaultPaxosOptions.valueBytesMax,
          catchupBytesMax: defaultPaxosOptions.catchupBytesMax,
        }),
  };
}

/**
 * The relations config.ts asserts, kept when a pin moves one side of them: the drawn side
 * gives way, a pinned one never does (a pinned contradiction is the caller's, and is reported).
 */
function keepLimitRelations(
  options: Partial<PaxosOptions>,
  pinned: Partial<PaxosOptions>,
): Partial<PaxosOptions> {
  const o = { ...options } as { -readonly [K in keyof PaxosOptions]: PaxosOptions[K] };
  const window = o.windowSlotsMax;
  if (pinned.decidedAheadSlotsMax === undefined && o.decidedAheadSlotsMax < window)
    o.decidedAheadSlotsMax = window;
  if (pinned.windowSlotsMax === undefined && o.windowSlotsMax > o.decidedAheadSlotsMax)
    o.windowSlotsMax = o.decidedAheadSlotsMax;
  const alpha = o.alphaSlots ?? defaultPaxosOptions.alphaSlots;
  if (pinned.alphaSlots === undefined && alpha < o.windowSlotsMax) o.alphaSlots = o.windowSlotsMax;
  if (pinned.catchupBytesMax === undefined && o.catchupBytesMax < o.valueBytesMax)
    o.catchupBytesMax = o.valueBytesMax;
  if (pinned.valueBytesMax === undefined && o.valueBytesMax > o.catchupBytesMax)
    o.valueBytesMax = o.catchupBytesMax;
  if (pinned.heartbeatTicks === undefined && o.heartbeatTicks >= o.electionTimeoutTicks)
    o.heartbeatTicks = Math.max(1, o.electionTimeoutTicks - 1);
  if (pinned.electionTimeoutTicks === undefined && o.heartbeatTicks >= o.electionTimeoutTicks)
    o.electionTimeoutTicks = o.heartbeatTicks + 1;
  return o;
}

/** The scenario as one line, printed first in a trace and beside a failing seed. */
export function formatScenario(s: SimScenario): string {
  const o = s.paxosOptions;
  const r = s.rates;
  const pct = (p: number): string => `${(100 * p).toFixed(1)}%`;
  const faults = s.faults.map((kind) => {
    switch (kind) {
      case 'loss':
        return `loss ${pct(r.lossProbability)}`;
      case 'dup':
        return `dup ${pct(r.duplicateProbability)}`;
      case 'reorder':
        return `reorder 1-${s.delayTicksMax} ticks (slow ${pct(r.slowProbability)} up to ${s.slowDelayTicksMax}, stall ${pct(r.stallProbability)}/tick up to ${s.stallTicksMax})`;
      case 'partition':
        return `partition ${pct(r.partitionStartProbability)}/tick heal ${pct(r.partitionHealProbability)}/tick${s.muteLeaderOneWayShare > 0 ? ` (mute-leader-one-way ${pct(s.muteLeaderOneWayShare)})` : ''}`;
      case 'crash':
        return `crash ${pct(r.crashProbability)}/tick (at leader ${pct(s.leaderCrashShare)}, after write ${pct(r.crashAfterWriteProbability)}, mid-send ${pct(r.crashMidSendProbability)}, restart 1-${s.restartDelayTicksMax} ticks)`;
      case 'pause':
        return `pause ${pct(r.pauseProbability)}/tick`;
      case 'disk-loss':
        return `disk-loss ${pct(r.diskLossProbability)}/tick`;
      case 'membership':
        return `membership ${pct(r.membershipProbability)}/tick (${s.spares} spare(s), α ${o.alphaSlots})`;
    }
  });
  return (
    `scenario: ${s.proposers} proposer(s), ${s.acceptors} acceptors (q1 ${s.phase1Quorum}, q2 ${s.phase2Quorum}), ` +
    `${s.learners} learner(s), ${s.clients} client(s) x ${s.commandsPerClient} commands (padding up to ${s.payloadCharsMax} chars, over ${s.arrivalTicks} ticks, ${s.clientOutstandingMax} outstanding, retry after ${s.clientRetryTicks}); ` +
    `window ${o.windowSlotsMax}, batch ${o.batchCommandsMax}, value ${o.valueBytesMax} B, catch-up ${o.catchupBytesMax} B/${o.catchupEntriesMax} entries, ` +
    `snapshot every ${o.snapshotEverySlots} (tail ${o.logTailSlots}), decided ahead ${o.decidedAheadSlotsMax}, ` +
    `election ${o.electionTimeoutTicks} ticks, heartbeat ${o.heartbeatTicks}, retries ${o.prepareRetryTicks}/${o.acceptRetryTicks}/${o.catchupRetryTicks}, ` +
    `pre-vote ${o.preVote === false ? 'off' : 'on'}; ` +
    `faults (${s.profile}): ${faults.join(', ') || 'none'}`
  );
}
