import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
// The runtime's own node-spec parser (not in its public API: only these checks need it).
import { parseNodeSpecs } from '@evpaxos/runtime/dist/src/config';

/**
 * The Kubernetes manifests of deploy/k8s (docs/DEPLOY.md), proven without a cluster (none runs
 * here): every object is validated against the Kubernetes API's JSON schemas that the
 * kubernetes-models package carries (compiled ajv validators), a field the schema does not know is
 * refused (a typo would otherwise be dropped silently), and the objects are checked against each
 * other and against the runtime: Services select the pods, the StatefulSets' serviceName exists,
 * the Secret and its key exist, and EVPAXOS_NODES (parsed by the runtime's own parser) lists
 * exactly the pods, by the DNS names the headless Services give them, on their container ports.
 */

const root = path.resolve(__dirname, '../../../..');
const k8sDir = path.join(root, 'deploy/k8s');

// `yaml` is a dependency of @evpaxos/ev-emulator; resolve it from there (as deploy.test.ts does).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const YAML = require(
  require.resolve('yaml', { paths: [path.join(root, 'packages/ev-emulator')] }),
) as typeof import('yaml');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}
interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string; items?: { key: string }[] } }[];
}
interface StatefulSetSpec {
  serviceName: string;
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  volumeClaimTemplates?: { metadata: { name: string } }[];
}
interface ServiceSpec {
  clusterIP?: string;
  publishNotReadyAddresses?: boolean;
  selector: Record<string, string>;
  ports: { name: string; port: number; targetPort: string | number }[];
}

type Validate = () => void;
type ModelClass = { prototype: { validate: Validate } };

/** The kubernetes-models class of each kind these manifests use. */
function modelOf(object: K8sObject): ModelClass {
  const modules: Record<string, string> = {
    'v1/Namespace': 'kubernetes-models/v1/Namespace',
    'v1/Secret': 'kubernetes-models/v1/Secret',
    'v1/Service': 'kubernetes-models/v1/Service',
    'apps/v1/StatefulSet': 'kubernetes-models/apps/v1/StatefulSet',
    'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1/PodDisruptionBudget',
  };
  const module = modules[`${object.apiVersion}/${object.kind}`];
  if (module === undefined) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(module) as Record<string, ModelClass>)[object.kind] as ModelClass;
}

/**
 * Runs the schema's validator on `object` and returns the fields it never looked at. The compiled
 * validators read every property their schema declares (and iterate free-form maps such as
 * labels), so an own key that was never read is one the Kubernetes API does not know: kubectl's
 * strict field validation would refuse it.
 */
function validateStrict(object: K8sObject): string[] {
  const visited: { path: string; value: object; read: Set<string> }[] = [];
  const track = (value: unknown, at: string): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const read = new Set<string>();
    visited.push({ path: at, value, read });
    const copy = Array.isArray(value)
      ? value.map((item, index) => track(item, `${at}/${index}`))
      : Object.fromEntries(
          Object.entries(value).map(([key, item]) => [key, track(item, `${at}/${key}`)]),
        );
    return new Proxy(copy, {
      get(target, key, receiver) {
        if (typeof key === 'string') read.add(key);
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
  };
  modelOf(object).prototype.validate.call(track(object, ''));
  const unknown: string[] = [];
  for (const { path: at, value, read } of visited) {
    if (Array.isArray(value)) continue;
    for (const key of Object.keys(value)) if (!read.has(key)) unknown.push(`${at}/${key}`);
  }
  return unknown;
}

function loadManifests(): { file: string; object: K8sObject }[] {
  const files = fs.readdirSync(k8sDir).filter((name) => name.endsWith('.yaml'));
  const out: { file: string; object: K8sObject }[] = [];
  for (const file of files) {
    if (file === 'kustomization.yaml') continue;
    for (const document of YAML.parseAllDocuments(
      fs.readFileSync(path.join(k8sDir, file), 'utf8'),
    )) {
      expect(document.errors, `${file}: YAML errors`).to.deep.equal([]);
      const object = document.toJS() as K8sObject | null;
      if (object !== null) out.push({ file, object });
    }
  }
  return out;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

describe('Kubernetes manifests (deploy/k8s): schema-validated, no cluster here', () => {
  const manifests = loadManifests();
  const objects = manifests.map((entry) => entry.object);
  const ofKind = <T>(kind: string) =>
    objects.filter((object) => object.kind === kind) as (K8sObject & { spec: T })[];
  const statefulSets = ofKind<StatefulSetSpec>('StatefulSet');
  const services = ofKind<ServiceSpec>('Service');
  const namespace = ofKind('Namespace')[0]?.metadata.name;

  it('holds a Namespace, a Secret, a headless Service and a StatefulSet per role', () => {
    expect(namespace).to.equal('evpaxos');
    expect(statefulSets.map((set) => set.metadata.name).sort()).to.deep.equal(['central', 'cp']);
    expect(ofKind('Secret')).to.have.length(1);
    expect(ofKind('PodDisruptionBudget')).to.have.length(2);
    for (const object of objects) {
      if (object.kind !== 'Namespace') expect(object.metadata.namespace).to.equal(namespace);
    }
  });

  it('validates every object against the Kubernetes schemas, unknown fields refused', () => {
    for (const { file, object } of manifests) {
      const where = `${file}: ${object.kind} ${object.metadata.name}`;
      let unknown: string[] = [];
      expect(() => (unknown = validateStrict(object)), where).not.to.throw();
      expect(unknown, `${where}: fields the schema does not know`).to.deep.equal([]);
    }
  });

  it('the strict check catches what the schema alone lets through', () => {
    const [set] = statefulSets;
    const typo = structuredClone(set) as K8sObject;
    (typo.spec as Record<string, unknown>).replica = 3;
    expect(validateStrict(typo)).to.deep.equal(['/spec/replica']);
    const wrongType = structuredClone(set) as K8sObject & { spec: StatefulSetSpec };
    (wrongType.spec.template.spec.containers[0] as { ports: unknown[] }).ports = [
      { containerPort: '7000' },
    ];
    expect(() => validateStrict(wrongType)).to.throw(/containerPort must be integer/);
  });

  it('lists the resources kubectl apply -k applies, all but the placeholder Secret', () => {
    const kustomization = YAML.parse(
      fs.readFileSync(path.join(k8sDir, 'kustomization.yaml'), 'utf8'),
    ) as { resources: string[] };
    const files = [...new Set(manifests.map((entry) => entry.file))];
    expect([...kustomization.resources].sort()).to.deep.equal(
      files.filter((file) => file !== 'secret.yaml').sort(),
    );
  });

  it('gives every StatefulSet a headless Service that selects exactly its pods', () => {
    for (const set of statefulSets) {
      const podLabels = set.spec.template.metadata.labels;
      expect(matches(set.spec.selector.matchLabels, podLabels), set.metadata.name).to.equal(true);
      const service = services.find((item) => item.metadata.name === set.spec.serviceName);
      expect(service, `${set.metadata.name}: serviceName ${set.spec.serviceName}`).to.not.equal(
        undefined,
      );
      expect(service?.spec.clusterIP).to.equal('None');
      // Peers must resolve each other before they are ready (they become ready by electing).
      expect(service?.spec.publishNotReadyAddresses).to.equal(true);
      expect(matches(service?.spec.selector ?? {}, podLabels)).to.equal(true);
      for (const other of statefulSets.filter((item) => item !== set)) {
        expect(matches(service?.spec.selector ?? {}, other.spec.template.metadata.labels)).to.equal(
          false,
        );
      }
      // Every Service port targets a named port of the container.
      const containerPorts = set.spec.template.spec.containers[0]?.ports ?? [];
      for (const port of service?.spec.ports ?? []) {
        const target = containerPorts.find((item) => item.name === port.targetPort);
        expect(target?.containerPort, `${service?.metadata.name} ${port.name}`).to.equal(port.port);
      }
    }
  });

  it('mounts the cluster secret from a Secret key that exists and names the file in env', () => {
    const [secret] = ofKind('Secret');
    const keys = Object.keys((secret?.stringData ?? secret?.data ?? {}) as object);
    for (const set of statefulSets) {
      const pod = set.spec.template.spec;
      const volume = pod.volumes?.find((item) => item.secret !== undefined);
      expect(volume?.secret?.secretName).to.equal(secret?.metadata.name);
      for (const item of volume?.secret?.items ?? []) expect(keys).to.include(item.key);
      const container = pod.containers[0] as Container;
      const mount = container.volumeMounts?.find((item) => item.name === volume?.name);
      const env = new Map(container.env?.map((item) => [item.name, item.value]));
      expect(env.has('EVPAXOS_SECRET')).to.equal(false);
      expect(env.get('EVPAXOS_SECRET_FILE')).to.equal(
        `${mount?.mountPath}/${volume?.secret?.items?.[0]?.key}`,
      );
    }
  });

  it('lists exactly the pods in EVPAXOS_NODES, by their DNS names, on their container ports', () => {
    const expected: string[] = [];
    for (const set of statefulSets) {
      const container = set.spec.template.spec.containers[0] as Container;
      const env = container.env ?? [];
      const id = env.find((item) => item.name === 'EVPAXOS_ID');
      expect(id?.valueFrom?.fieldRef?.fieldPath, 'the node id is the pod name').to.equal(
        'metadata.name',
      );
      const problems: string[] = [];
      const nodes = parseNodeSpecs(
        env.find((item) => item.name === 'EVPAXOS_NODES')?.value ?? '',
        problems,
      );
      expect(problems).to.deep.equal([]);
      const role = container.args?.[0];
      const port = (name: string) =>
        container.ports?.find((item) => item.name === name)?.containerPort;
      for (let ordinal = 0; ordinal < set.spec.replicas; ordinal += 1) {
        const pod = `${set.metadata.name}-${ordinal}`;
        const node = nodes.find((item) => item.id === pod);
        expect(node, `${pod} in ${set.metadata.name}'s node list`).to.not.equal(undefined);
        expect(node?.role).to.equal(role);
        expect(node?.host).to.equal(`${pod}.${set.spec.serviceName}.${namespace}.svc`);
        expect(node?.clusterPort).to.equal(port('cluster'));
        expect(node?.httpPort).to.equal(port('http'));
        expect(node?.servicePort).to.equal(port(role === 'central' ? 'ocpp' : 'ev-link'));
        expected.push(pod);
      }
      // Every StatefulSet carries the same node list, and it has no node that no pod is.
      expect(nodes.map((item) => item.id).sort(), set.metadata.name).to.have.members(
        statefulSets.flatMap((other) =>
          Array.from({ length: other.spec.replicas }, (_, i) => `${other.metadata.name}-${i}`),
        ),
      );
    }
    expect(expected).to.have.length(7);
  });

  it('probes /status on the http port, bounds resources, gives charge points a claim each', () => {
    for (const set of statefulSets) {
      const container = set.spec.template.spec.containers[0] as Container;
      for (const probe of [
        container.readinessProbe,
        container.livenessProbe,
        container.startupProbe,
      ]) {
        expect(probe?.httpGet).to.deep.equal({ path: '/status', port: 'http' });
      }
      for (const resource of ['cpu', 'memory']) {
        expect(container.resources?.requests?.[resource], resource).to.be.a('string');
        expect(container.resources?.limits?.[resource], resource).to.be.a('string');
      }
      const dataMount = container.volumeMounts?.find((item) => item.mountPath === '/data');
      const claims = set.spec.volumeClaimTemplates?.map((item) => item.metadata.name) ?? [];
      if (container.args?.[0] === 'charge-point') {
        expect(claims).to.include(dataMount?.name);
        const env = new Map(container.env?.map((item) => [item.name, item.value]));
        expect(env.get('EVPAXOS_DATA_DIR')).to.equal('/data');
      } else {
        expect(claims, 'centrals keep nothing on disk').to.deep.equal([]);
      }
    }
  });
});
