import type { NodeId } from '@evpaxos/wire';
import { faultDelayMsMax, faultRulesMax } from './constants';
import { TransportError } from './errors';
import type { FaultRule } from './types';

/** What to do with one message: deliver a copy after each listed delay ([] = drop it). */
export type DeliveryPlan = readonly number[];

const passThrough: DeliveryPlan = Object.freeze([0]);

/** Checks rules up front, so a bad rule from the admin API fails loudly instead of never matching. */
export function validateFaultRules(rules: readonly FaultRule[]): readonly FaultRule[] {
  if (rules.length > faultRulesMax) {
    throw new TransportError(
      'invalid-fault-rule',
      `At most ${faultRulesMax} fault rules, got ${rules.length}.`,
    );
  }
  return Object.freeze(
    rules.map((rule, index) => {
      const where = `Fault rule ${index}`;
      if (typeof rule.peer !== 'string' || rule.peer.length === 0) {
        throw new TransportError('invalid-fault-rule', `${where}: peer must be a node id or '*'.`);
      }
      if (!['in', 'out', 'both'].includes(rule.direction)) {
        throw new TransportError(
          'invalid-fault-rule',
          `${where}: direction must be in, out or both.`,
        );
      }
      if (!['drop', 'delay', 'duplicate'].includes(rule.action)) {
        throw new TransportError(
          'invalid-fault-rule',
          `${where}: action must be drop, delay or duplicate.`,
        );
      }
      const probability = rule.probability ?? 1;
      if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) {
        throw new TransportError('invalid-fault-rule', `${where}: probability must be in [0, 1].`);
      }
      const delayMs = rule.delayMs ?? 0;
      if (!Number.isSafeInteger(delayMs) || delayMs < 0 || delayMs > faultDelayMsMax) {
        throw new TransportError(
          'invalid-fault-rule',
          `${where}: delayMs must be an integer in [0, ${faultDelayMsMax}].`,
        );
      }
      if (rule.action === 'delay' && rule.delayMs === undefined) {
        throw new TransportError('invalid-fault-rule', `${where}: a delay needs delayMs.`);
      }
      return Object.freeze({ ...rule });
    }),
  );
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
