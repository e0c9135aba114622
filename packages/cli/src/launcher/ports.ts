import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:net';
import { LauncherError } from './errors';

/** The most nodes `--base-port N` can place: HTTP ports start 100 above the cluster ports. */
export const NODES_PER_BASE_PORT_MAX = 100;

/** The distance between a node's cluster port and its HTTP port with a fixed base port. */
export const HTTP_PORT_OFFSET = 100;

/**
 * The distance between a node's cluster port and its service port (a central's OCPP-J endpoint, a
 * charge point's EV link) with a fixed base port: 7000 → 7200 (docs/SITE.md, "Ports").
 */
export const SERVICE_PORT_OFFSET = 200;

export interface NodePorts {
  readonly clusterPort: number;
  readonly httpPort: number;
  readonly servicePort: number;
}

function listen(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => resolve(server));
  });
}

/** The lowest port a chosen port may have: below it are well-known and registered services. */
const CHOSEN_PORT_MIN = 10_000;
/**
 * The highest a chosen port may be (exclusive), below the ephemeral range as well: ports 20000 and
 * up are left to sites published by host-port prefix (docker-compose.yml's
 * EVPAXOS_HOST_PORT_PREFIX, 20-32 in the Docker tests, which run beside local clusters in npm
 * test's lanes, docs/TESTING.md), so a launcher's choice never clashes with a container's port.
 */
export const CHOSEN_PORT_LIMIT = 20_000;
/** Random ports tried below the ephemeral range before falling back to the kernel's choice. */
const CHOSEN_PORT_ATTEMPTS = 50;

/**
 * The lowest port of the kernel's range for outgoing connections (Linux ip_local_port_range;
 * 32768 where it cannot be read). A port the kernel picks for bind(0) comes from this range, and
 * so does the local port of every outgoing connection.
 */
export function ephemeralPortMin(): number {
  try {
    const low = Number(
      fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * A listener on a free port in 10000-19999 (below the ephemeral range). A port from bind(0) is released before its
 * node listens on it, and in that window any outgoing connection — the cluster's own first nodes
 * dialling each other — may take it as its local port: a node then dies at start with EADDRINUSE
 * (seen in the nemesis under load). A port below the range is never handed out that way; only
 * another launcher choosing at random could take it, 1 in thousands.
 */
async function listenOnFreePort(host: string): Promise<Server> {
  const high = Math.min(ephemeralPortMin(), CHOSEN_PORT_LIMIT);
  if (high - CHOSEN_PORT_MIN >= 1_000) {
    for (let attempt = 0; attempt < CHOSEN_PORT_ATTEMPTS; attempt += 1) {
      try {
        return await listen(host, randomInt(CHOSEN_PORT_MIN, high));
      } catch {
        // In use: try another.
      }
    }
  }
  return listen(host, 0);
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Ports for `count` nodes. With `basePort` 0 each is a free port below the ephemeral range
 * (listenOnFreePort) and we hold every listener open until all are chosen, so no two nodes get the
 * same port; they are released just before the nodes start. With a fixed base port,
 * node i gets cluster port base+i, HTTP port base+100+i and service port base+200+i (the
 * contract's 7000/7100/7200 layout), and each is checked free first so a clash is a clear error
 * instead of a node dying at start.
 */
export async function choosePorts(
  count: number,
  basePort: number,
  host: string,
): Promise<NodePorts[]> {
  const held: Server[] = [];
  try {
    const ports: NodePorts[] = [];
    for (let index = 0; index < count; index += 1) {
      if (basePort === 0) {
        const cluster = await listenOnFreePort(host);
        held.push(cluster);
        const http = await listenOnFreePort(host);
        held.push(http);
        const service = await listenOnFreePort(host);
        held.push(service);
        ports.push({
          clusterPort: portOf(cluster),
          httpPort: portOf(http),
          servicePort: portOf(service),
        });
        continue;
      }
      const clusterPort = basePort + index;
      const httpPort = basePort + HTTP_PORT_OFFSET + index;
      const servicePort = basePort + SERVICE_PORT_OFFSET + index;
      for (const port of [clusterPort, httpPort, servicePort]) {
        try {
          held.push(await listen(host, port));
        } catch (error) {
          throw new LauncherError(
            'port-in-use',
            `Port ${port} on ${host} is not free (${(error as NodeJS.ErrnoException).code ?? 'error'}): choose another --base-port, or 0 to pick free ports.`,
          );
        }
      }
      ports.push({ clusterPort, httpPort, servicePort });
    }
    return ports;
  } finally {
    await Promise.all(held.map(close));
  }
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}
