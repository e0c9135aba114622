import { SCENARIO_EVS_MAX, type Scenario } from './scenario';

/**
 * The seed's 10-minute timeline (docs/DESIGN.md, "The default scenario"): boot; EV1 plugs into cp1 at
 * minute 1, EV2 into cp2 at 2, EV3 into cp3 at 4; EV1 stops at 8; EV2 and EV3 stop at 9.
 *
 * The needs are plausible AC cars: 1.4 kW minimum (6 A on one 230 V phase), 11 or 22 kW maximum
 * (16 A or 32 A on three phases), departures an hour or two away. Together the three could draw
 * 55 kW, more than the 44 kW default site limit, so the scheduler has to share.
 */
export const defaultScenario: Scenario = Object.freeze({
  name: 'seed-timeline',
  description:
    "The seed's timeline: EV1 at minute 1 on cp1, EV2 at 2 on cp2, EV3 at 4 on cp3; EV1 stops at 8, EV2 and EV3 at 9.",
  durationMinutes: 10,
  evs: [
    {
      id: 'EV1',
      chargePointId: 'cp1',
      arriveAtMinute: 1,
      stopAtMinute: 8,
      needs: { energyWh: 30_000, minPowerW: 1_400, maxPowerW: 11_000, departureAtMinute: 60 },
    },
    {
      id: 'EV2',
      chargePointId: 'cp2',
      arriveAtMinute: 2,
      stopAtMinute: 9,
      needs: { energyWh: 20_000, minPowerW: 1_400, maxPowerW: 22_000, departureAtMinute: 90 },
    },
    {
      id: 'EV3',
      chargePointId: 'cp3',
      arriveAtMinute: 4,
      stopAtMinute: 9,
      needs: { energyWh: 40_000, minPowerW: 1_400, maxPowerW: 22_000, departureAtMinute: 120 },
    },
  ],
  steps: [],
});

/** Charge points up to which the default scenario is the seed's timeline unchanged. */
const SEED_SITE_CHARGE_POINTS_MAX = 5;

/**
 * The default scenario for a site with these charge points (docs/SCENARIOS.md, "The default
 * scenario for any size"): up to five charge points, the seed's timeline (its EVs on the charge
 * points that exist); beyond that the seed's three EVs plus one EV on every further charge point,
 * arriving in turn between minutes 1 and 5 and stopping at 8 or 9, so every charge point of a site
 * of 9 or 15 charges at once and the scheduler shares the limit among all of them.
 */
export function defaultScenarioFor(chargePointIds: readonly string[]): Scenario {
  const present = new Set(chargePointIds);
  const seedEvs = defaultScenario.evs.filter((ev) => present.has(ev.chargePointId));
  const seedCharged = new Set(seedEvs.map((ev) => ev.chargePointId));
  if (chargePointIds.length <= SEED_SITE_CHARGE_POINTS_MAX && seedEvs.length > 0) {
    return seedEvs.length === defaultScenario.evs.length
      ? defaultScenario
      : { ...defaultScenario, evs: seedEvs };
  }
  const more = chargePointIds
    .filter((id) => !seedCharged.has(id))
    .slice(0, SCENARIO_EVS_MAX - seedEvs.length)
    .map((chargePointId, index) => ({
      id: `EV${seedEvs.length + index + 1}`,
      chargePointId,
      // Spread over minutes 1 … 5 in quarter minutes: arrivals never all land on one lease.
      arriveAtMinute: 1 + ((index * 0.25) % 4),
      stopAtMinute: 8 + (index % 2),
      needs: {
        energyWh: 20_000 + 5_000 * (index % 3),
        minPowerW: 1_400,
        maxPowerW: index % 2 === 0 ? 11_000 : 22_000,
        departureAtMinute: 60 + 30 * (index % 3),
      },
    }));
  return {
    ...defaultScenario,
    name: `seed-timeline-${chargePointIds.length}`,
    description: `${defaultScenario.description} Plus one EV on each of the other ${more.length} charge points, arriving between minutes 1 and 5, stopping at 8 or 9.`,
    evs: [...seedEvs, ...more],
  };
}
