import type { Scenario } from './scenario';

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
