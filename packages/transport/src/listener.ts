import { WIRE_VERSION, type ClusterEnvelope } from '@evpaxos/wire';
import type { WebSocket } from 'ws';
import type { Connection } from './connection';
import { computeProof, createNonce, verifyProof } from './handshake';
import type { Mesh } from './mesh';

/**
 * The listener's side: accepting connections (at most `pendingHandshakesMax` in the handshake at
 * once), the handshake hello → challenge → proof → welcome (docs/PROTOCOL-WIRE.md), then the
 * authenticated peer's Paxos frames. The listener sends nothing on this link after welcome.
 */
export function acceptConnection(mesh: Mesh, socket: WebSocket, remote: string): void {
  if (mesh.core.closed) {
    socket.terminate();
    return;
  }
  const pending = mesh.pendingHandshakes();
  const connection = mesh.track(socket, 'in', remote, null);
  if (pending >= mesh.limits.pendingHandshakesMax) mesh.reject(connection, 'too-many-handshakes');
}

export function handleInbound(mesh: Mesh, connection: Connection, envelope: ClusterEnvelope): void {
  switch (connection.step) {
    case 'await-hello':
      if (envelope.kind !== 'hello') return rejectBeforeAuthentication(mesh, connection, envelope);
      return onHello(mesh, connection, envelope.body);
    case 'await-proof':
      if (envelope.kind !== 'proof') return rejectBeforeAuthentication(mesh, connection, envelope);
      return onProof(mesh, connection, envelope.body.proof);
    case 'open':
      if (envelope.kind !== 'paxos')
        return mesh.reject(connection, 'unexpected-frame', `${envelope.kind} after the handshake`);
      return mesh.core.receive(connection.peerId ?? '', envelope.body);
    default:
      return mesh.reject(
        connection,
        'unexpected-frame',
        `${envelope.kind} in step ${connection.step}`,
      );
  }
}

type Hello = Extract<ClusterEnvelope, { kind: 'hello' }>['body'];

function onHello(mesh: Mesh, connection: Connection, hello: Hello): void {
  const { clusterId, clusterSecret } = mesh.options;
  connection.peerId = hello.nodeId;
  if (hello.clusterId !== clusterId) {
    return mesh.reject(connection, 'cluster-id-mismatch', `hello for cluster ${hello.clusterId}`);
  }
  if (hello.nodeId === mesh.nodeId || !mesh.links.has(hello.nodeId)) {
    return mesh.reject(connection, 'unknown-node', `hello from ${hello.nodeId}`);
  }
  if (hello.peerId !== mesh.nodeId) {
    return mesh.reject(connection, 'peer-id-mismatch', `hello meant for ${hello.peerId}`);
  }
  connection.dialerNonce = hello.nonce;
  connection.listenerNonce = createNonce();
  const proof = computeProof(clusterSecret, {
    role: 'listener',
    clusterId,
    proverId: mesh.nodeId,
    verifierId: hello.nodeId,
    dialerNonce: hello.nonce,
    listenerNonce: connection.listenerNonce,
  });
  connection.step = 'await-proof';
  mesh.sendFrame(connection, {
    v: WIRE_VERSION,
    kind: 'challenge',
    body: { nodeId: mesh.nodeId, nonce: connection.listenerNonce, proof },
  });
}

function onProof(mesh: Mesh, connection: Connection, proof: Uint8Array): void {
  const peerId = connection.peerId ?? '';
  const valid = verifyProof(
    mesh.options.clusterSecret,
    {
      role: 'dialer',
      clusterId: mesh.options.clusterId,
      proverId: peerId,
      verifierId: mesh.nodeId,
      dialerNonce: connection.dialerNonce ?? new Uint8Array(),
      listenerNonce: connection.listenerNonce ?? new Uint8Array(),
    },
    proof,
  );
  if (!valid) return mesh.reject(connection, 'bad-proof', `proof from ${peerId}`);
  mesh.authenticated(connection);
  const link = mesh.linkOf(peerId);
  const previous = link.inbound;
  link.inbound = connection;
  link.lastSeenMs = mesh.core.now();
  // A newer authenticated link from the same peer means it redialled (a restart, or it saw
  // the old link die first): the old one is half-open at best.
  if (previous) mesh.closeConnection(previous, 1000, 'replaced', false);
  mesh.sendFrame(connection, { v: WIRE_VERSION, kind: 'welcome', body: {} });
  mesh.core.logger.info('transport: inbound link authenticated', {
    peer: peerId,
    remote: connection.remote,
  });
  mesh.peerDialledUs(link, previous);
}

function rejectBeforeAuthentication(
  mesh: Mesh,
  connection: Connection,
  envelope: ClusterEnvelope,
): void {
  if (envelope.kind === 'paxos')
    mesh.reject(connection, 'unauthenticated-frame', `${envelope.body.type} before authentication`);
  else mesh.reject(connection, 'unexpected-frame', `${envelope.kind} in step ${connection.step}`);
}
