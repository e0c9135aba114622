import { expect } from 'chai';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import type { Logger, RunningNode } from '@evpaxos/runtime';
import { DASHBOARD_LIMITS, DASHBOARD_WS_PATH } from '../src/constants';
import { DashboardServer } from '../src/server';

type UpgradeHandler = Parameters<RunningNode['addUpgradeRoute']>[1];

/**
 * The dashboard's live feed over a real socket: the server is given a stand-in for the central it
 * runs on (an HTTP server that serves its upgrade route; the one charge point it polls is a closed
 * port, so every poll is quick and reads it as down).
 */

const quietLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} as unknown as Logger;

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The central's HTTP port, serving only the upgrade route the dashboard adds (404 elsewhere). */
async function standInCentral(): Promise<{ running: RunningNode; close: () => Promise<void> }> {
  const upgrades = new Map<string, UpgradeHandler>();
  const server = http.createServer((_request, response) => response.writeHead(404).end());
  server.on('upgrade', (request, socket, head) => {
    const handler = upgrades.get(new URL(request.url ?? '/', 'http://x').pathname);
    if (handler === undefined) socket.destroy();
    else handler(request, socket, head);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const cpPort = await closedPort();
  const running = {
    config: {
      id: 'central-a',
      lab: false,
      secret: 'test-secret',
      clusterId: 'test-cluster',
      sections: {},
      self: { host: '127.0.0.1', httpPort: port },
      nodes: [{ id: 'cp1', role: 'charge-point', host: '127.0.0.1', httpPort: cpPort }],
    },
    node: { onApplied: () => () => undefined, onEvent: () => () => undefined },
    httpPort: port,
    addHttpRoutes: () => () => undefined,
    addUpgradeRoute: (route: string, handler: UpgradeHandler) => {
      upgrades.set(route, handler);
      return () => upgrades.delete(route);
    },
    close: async () => undefined,
  } as unknown as RunningNode;
  return {
    running,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Connects a viewer and collects the types of the first `count` messages it gets. */
async function firstMessages(url: string, count: number): Promise<string[]> {
  const socket = new WebSocket(url);
  const types: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('message', (data) => {
        types.push((JSON.parse(String(data)) as { type: string }).type);
        if (types.length === count) resolve();
      });
    });
  } finally {
    socket.close();
  }
  return types;
}

describe('dashboard server: the live feed', function () {
  this.timeout(20_000);

  it('sends a new viewer its snapshot before any update, also when it must poll first', async () => {
    const central = await standInCentral();
    const dashboard = new DashboardServer(central.running, quietLogger);
    try {
      const url = `ws://127.0.0.1:${central.running.httpPort}${DASHBOARD_WS_PATH}`;
      for (let viewer = 0; viewer < 3; viewer += 1) {
        // Nobody watches: no polling, so the readings go stale and the viewer's welcome polls
        // first; that poll's broadcast is the update that could overtake the snapshot.
        await sleep(DASHBOARD_LIMITS.pollIntervalMs + 100);
        const types = await firstMessages(url, 3);
        expect(types, `viewer ${viewer}`).to.deep.equal(['snapshot', 'update', 'update']);
      }
    } finally {
      await dashboard.close();
      await central.close();
    }
  });
});
