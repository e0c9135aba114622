import type { NodeId } from '@evpaxos/wire';
import { faultDelayMsMax, faultRulesMax } from './constants';
import { TransportError } from './errors';
import type { FaultRule } from './types';

/** What to do with one message: deliver a copy after each listed delay ([] = drop it). */
export type DeliveryPlan = readonly number[];

const passThrough: DeliveryPlan = Object.freeze([0]);

const ruleKeys: ReadonlySet<string> = new Set([
  'peer',
  'direction',
  'action',
  'delayMs',
  'probability',
]);

/**
 * Checks fault rules from outside — a parsed JSON body of the admin API (`PUT /faults` takes
 * `{ "rules": [...] }` and passes the list), processes.json, a CLI flag — and returns them frozen.
 * Pure. A bad rule throws `TransportError('invalid-fault-rule')` naming the rule and the field, so
 * it fails loudly instead of never matching; unknown fields are refused too (a misspelt
 * `probability` would otherwise apply the rule to every message).
 */
export function parseFaultRules(value: unknown): readonly FaultRule[] {
  if (!Array.isArray(value)) {
    throw new TransportError('invalid-fault-rule', 'Fault rules must be a list.');
  }
  if (value.length > faultRulesMax) {
    throw new TransportError(
      'invalid-fault-rule',
      `At most ${faultRulesMax} fault rules, got ${value.length}.`,
    );
  }
  return Object.freeze(value.map((rule: unknown, index) => parseFaultRule(rule, index)));
}

function parseFaultRule(value: unknown, index: number): FaultRule {
  const where = `Fault rule ${index}`;
  const fail = (problem: string) =>
    new TransportError('invalid-fault-rule', `${where}: ${problem}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail('must be an object.');
  }
  const rule = value as Record<string, unknown>;
  const unknown = Object.keys(rule).filter((key) => !ruleKeys.has(key));
  if (unknown.length > 0) throw fail(`unknown field ${unknown.join(', ')}.`);
  if (typeof rule.peer !== 'string' || rule.peer.length === 0) {
    throw fail("peer must be a node id or '*'.");
  }
  if (rule.direction !== 'in' && rule.direction !== 'out' && rule.direction !== 'both') {
    throw fail('direction must be in, out or both.');
  }
  if (rule.action !== 'drop' && rule.action !== 'delay' && rule.action !== 'duplicate') {
    throw fail('action must be drop, delay or duplicate.');
  }
  const probability = rule.probability ?? 1;
  if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) {
    throw fail('probability must be in [0, 1].');
  }
  const delayMs = rule.delayMs ?? 0;
  if (
    typeof delayMs !== 'number' ||
    !Number.isSafeInteger(delayMs) ||
    delayMs < 0 ||
    delayMs > faultDelayMsMax
  ) {
    throw fail(`delayMs must be an integer in [0, ${faultDelayMsMax}].`);
  }
  if (rule.action === 'delay' && rule.delayMs === undefined) throw fail('a delay needs delayMs.');
  return Object.freeze({
    peer: rule.peer,
    direction: rule.direction,
    action: rule.action,
    ...(rule.delayMs === undefined ? {} : { delayMs }),
    ...(rule.probability === undefined ? {} : { probability }),
  });
}

/**
 * Decides the fate of one message to or from `peer`. Pure but for `random`, so both
 * implementations (and a seeded test) apply rules identically.
 */
export function planDelivery(
  rules: readonly FaultRule[],
  peer: NodeId,
  direction: 'in' | 'out',
  random: () => number,
): DeliveryPlan {
  for (const rule of rules) {
    if (rule.peer !== '*' && rule.peer !== peer) continue;
    if (rule.direction !== 'both' && rule.direction !== direction) continue;
    const probability = rule.probability ?? 1;
    if (probability < 1 && random() >= probability) continue;
    switch (rule.action) {
      case 'drop':
        return [];
      case 'delay':
        return [rule.delayMs ?? 0];
      case 'duplicate':
        return [0, rule.delayMs ?? 0];
    }
  }
  return passThrough;
}
