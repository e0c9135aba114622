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

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Ports for `count` nodes. With `basePort` 0 the kernel picks each one (bind port 0) and we hold
 * every listener open until all are chosen, so no two nodes get the same port; they are released
 * just before the nodes start, a window small enough on a test machine. With a fixed base port,
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
        const cluster = await listen(host, 0);
        held.push(cluster);
        const http = await listen(host, 0);
        held.push(http);
        const service = await listen(host, 0);
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
