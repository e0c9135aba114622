import { expect } from 'chai';
import { once } from 'node:events';
import { CsmsServer, ocppSubprotocol } from '@evpaxos/ocpp';
import type { FaultRule, Logger } from '@evpaxos/runtime';
import { WebSocket } from 'ws';
import {
  gateStationsByFaults,
  STATION_CUT_CLOSE_CODE,
  stationCutReason,
} from '../src/partition-gate';

const drop = (peer: string, direction: FaultRule['direction'] = 'both'): FaultRule => ({
  peer,
  direction,
  action: 'drop',
});

/** A fault-rule source like ClusterNode's: rules and a change listener. */
class Faults {
  faults: readonly FaultRule[] = [];
  private readonly listeners = new Set<(rules: readonly FaultRule[]) => void>();
  onFaultsChanged(listener: (rules: readonly FaultRule[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(rules: readonly FaultRule[]): void {
    this.faults = rules;
    for (const listener of this.listeners) listener(rules);
  }
}

describe('partition gate: a partition cuts a station’s OCPP link too', () => {
  it('cuts a station on a certain drop of its messages in either direction, or of every peer', () => {
    expect(stationCutReason([drop('cp1')], 'cp1')).to.match(/^partitioned: .*cp1/);
    expect(stationCutReason([drop('cp1', 'in')], 'cp1')).to.match(/inbound/);
    expect(stationCutReason([drop('*', 'out')], 'ext-7')).to.match(/every peer/);
    expect(stationCutReason([drop('cp2')], 'cp1')).to.equal(undefined);
    // A lossy link, a delay or a duplicate is not a cut: the cluster rides them out, so does OCPP.
    expect(stationCutReason([{ ...drop('cp1'), probability: 0.5 }], 'cp1')).to.equal(undefined);
    expect(
      stationCutReason([{ peer: 'cp1', direction: 'both', action: 'delay', delayMs: 50 }], 'cp1'),
    ).to.equal(undefined);
    expect(stationCutReason([], 'cp1')).to.equal(undefined);
  });

  describe('on a real OCPP server', () => {
    let server: CsmsServer;
    let stop: () => void;
    const faults = new Faults();
    const warnings: { message: string; meta: Record<string, unknown> | undefined }[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string, meta?: Record<string, unknown>) => warnings.push({ message, meta }),
      error: () => undefined,
    } as unknown as Logger;
    const open = async (id: string): Promise<WebSocket> => {
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/${id}`, [ocppSubprotocol]);
      await once(socket, 'open');
      return socket;
    };

    beforeEach(async () => {
      server = new CsmsServer({ host: '127.0.0.1', port: 0, logTraffic: false }, { logger });
      await server.listen();
      stop = gateStationsByFaults(server, faults, logger);
    });
    afterEach(async () => {
      stop();
      faults.set([]);
      warnings.length = 0;
      await server.close();
    });

    it('closes a connected station that a new rule cuts (1001, logged with the reason) and keeps the others', async () => {
      const cp1 = await open('cp1');
      const cp2 = await open('cp2');
      const closed = once(cp1, 'close');
      faults.set([drop('cp1'), drop('central-a')]);
      const [code, reason] = (await closed) as [number, Buffer];
      expect(code).to.equal(STATION_CUT_CLOSE_CODE);
      expect(String(reason)).to.equal('partitioned from this central');
      const cut = warnings.find((w) => w.message === 'ocpp-station-cut');
      expect(cut?.meta).to.deep.include({ chargePointId: 'cp1' });
      expect(String(cut?.meta?.reason)).to.match(/^partitioned: /);
      expect(cp2.readyState).to.equal(WebSocket.OPEN);
      cp2.close();
    });

    it('refuses a cut station’s upgrade with 503 and the reason, and accepts it again once healed', async () => {
      faults.set([drop('cp3')]);
      const refused = new WebSocket(`ws://127.0.0.1:${server.port}/cp3`, [ocppSubprotocol]);
      refused.on('error', () => undefined); // the refused socket's own end: expected here
      const [, response] = (await once(refused, 'unexpected-response')) as [
        unknown,
        { statusCode: number },
      ];
      expect(response.statusCode).to.equal(503);
      refused.terminate();
      const logged = warnings.find((w) => w.message === 'ocpp-upgrade-refused');
      expect(logged?.meta).to.deep.include({ chargePointId: 'cp3', status: 503 });
      faults.set([]);
      const healed = await open('cp3');
      expect(healed.readyState).to.equal(WebSocket.OPEN);
      healed.close();
    });
  });
});
