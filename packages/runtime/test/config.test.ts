import { expect } from 'chai';
import {
  ConfigError,
  configSection,
  envName,
  resolveProcessConfig,
  type ConfigSection,
  type ProcessConfigInput,
} from '../src/config';

const secret = 'ab'.repeat(32);
const cluster = {
  clusterId: 'evpaxos-test',
  secret,
  tickMs: 20,
  nodes: [
    { id: 'central-a', role: 'central', host: '127.0.0.1', clusterPort: 7000, httpPort: 7100 },
    { id: 'cp1', role: 'charge-point', host: '127.0.0.1', clusterPort: 7001, httpPort: 7101 },
    { id: 'cp2', role: 'charge-point', host: '127.0.0.1', clusterPort: 7002, httpPort: 7102 },
    { id: 'cp3', role: 'charge-point', host: '127.0.0.1', clusterPort: 7003, httpPort: 7103 },
  ],
};

function files(contents: Record<string, unknown>): (path: string) => string {
  return (path) => {
    if (!(path in contents)) throw new Error(`ENOENT: ${path}`);
    const value = contents[path];
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
}

function resolve(input: Partial<ProcessConfigInput> & { flags: Record<string, unknown> }) {
  return resolveProcessConfig({
    role: 'charge-point',
    env: {},
    readFile: files({ 'cluster.json': cluster }),
    ...input,
  });
}

function problemsOf(input: Partial<ProcessConfigInput> & { flags: Record<string, unknown> }) {
  try {
    resolve(input);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).code).to.equal('invalid-config');
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveProcessConfig', () => {
  describe('sources', () => {
    it('takes the cluster from the cluster file and defaults the rest', () => {
      const config = resolve({ flags: { id: 'cp1', clusterFile: 'cluster.json', dataDir: 'd' } });
      expect(config.id).to.equal('cp1');
      expect(config.role).to.equal('charge-point');
      expect(config.clusterId).to.equal('evpaxos-test');
      expect(config.tickMs).to.equal(20);
      expect(config.listenHost).to.equal('127.0.0.1');
      expect(config.self.clusterPort).to.equal(7001);
      expect(config.logLevel).to.equal('info');
      expect(config.unsafeNoFsync).to.equal(false);
      expect(config.pendingClientCallsMax).to.equal(10_000);
      expect(config.appliedEntriesKeptMax).to.equal(100_000);
      expect(config.appliedCommandsKeptMax).to.equal(100_000);
    });

    it('ranks flags over env over the config file over the cluster file', () => {
      const readFile = files({
        'cluster.json': cluster,
        'config.json': {
          tickMs: 30,
          logLevel: 'debug',
          listenHost: '0.0.0.0',
          dataDir: 'from-file',
        },
      });
      const config = resolve({
        readFile,
        flags: { id: 'cp1', clusterFile: 'cluster.json', config: 'config.json', tickMs: 5 },
        env: { EVPAXOS_TICK_MS: '40', EVPAXOS_LOG_LEVEL: 'warn', EVPAXOS_UNSAFE_NO_FSYNC: 'true' },
      });
      expect(config.tickMs).to.equal(5);
      expect(config.logLevel).to.equal('warn');
      expect(config.listenHost).to.equal('0.0.0.0');
      expect(config.dataDir).to.equal('from-file');
      expect(config.unsafeNoFsync).to.equal(true);
    });

    it('lets EVPAXOS_SECRET override the secret of the cluster file', () => {
      const other = 'cd'.repeat(32);
      const config = resolve({
        flags: { id: 'cp1', clusterFile: 'cluster.json', dataDir: 'd' },
        env: { EVPAXOS_SECRET: other },
      });
      expect(config.secret).to.equal(other);
    });

    it('reads the secret from EVPAXOS_SECRET_FILE (a mounted Docker or Kubernetes secret)', () => {
      const other = 'cd'.repeat(32);
      const readFile = files({ 'cluster.json': cluster, '/run/secrets/s': `${other}\n` });
      const config = resolve({
        readFile,
        flags: { id: 'cp1', clusterFile: 'cluster.json', dataDir: 'd' },
        env: { EVPAXOS_SECRET_FILE: '/run/secrets/s' },
      });
      // Ranked as the env it came from (over the cluster file); the file's line break dropped.
      expect(config.secret).to.equal(other);
      const fromFlag = resolve({
        readFile,
        flags: {
          id: 'cp1',
          clusterFile: 'cluster.json',
          dataDir: 'd',
          secretFile: '/run/secrets/s',
        },
        env: { EVPAXOS_SECRET: 'ef'.repeat(32) },
      });
      expect(fromFlag.secret).to.equal(other);
    });

    it('refuses a secret file that is missing, empty, or given with a secret', () => {
      const flags = { id: 'cp1', clusterFile: 'cluster.json', dataDir: 'd' };
      const readFile = files({ 'cluster.json': cluster, empty: '\n' });
      expect(problemsOf({ readFile, flags, env: { EVPAXOS_SECRET_FILE: 'nope' } })).to.deep.equal([
        'The secret file nope cannot be read (ENOENT: nope).',
      ]);
      expect(problemsOf({ readFile, flags, env: { EVPAXOS_SECRET_FILE: 'empty' } })).to.deep.equal([
        'The secret file empty is empty.',
      ]);
      expect(
        problemsOf({
          readFile,
          flags,
          env: { EVPAXOS_SECRET_FILE: 'empty', EVPAXOS_SECRET: secret },
        }),
      ).to.deep.equal(['Give the secret or a secret file (empty), not both.']);
    });

    it('takes the whole cluster from --cluster-id, --secret and --nodes', () => {
      const config = resolveProcessConfig({
        role: 'central',
        flags: {
          id: 'central-a',
          clusterId: 'c',
          secret,
          nodes: 'central-a=central@127.0.0.1:7000:7100,cp1=charge-point@127.0.0.1:7001:7101',
        },
      });
      expect(config.nodes).to.have.length(2);
      expect(config.self).to.deep.equal({
        id: 'central-a',
        role: 'central',
        host: '127.0.0.1',
        clusterPort: 7000,
        httpPort: 7100,
      });
      expect(config.dataDir).to.equal(undefined);
    });

    it('names env variables EVPAXOS_<UPPER_SNAKE>', () => {
      expect(envName('clusterFile')).to.equal('EVPAXOS_CLUSTER_FILE');
      expect(envName('phase1Quorum')).to.equal('EVPAXOS_PHASE1_QUORUM');
      expect(envName('unsafeNoFsync')).to.equal('EVPAXOS_UNSAFE_NO_FSYNC');
    });
  });

  describe('refusals', () => {
    const base = { id: 'cp1', clusterFile: 'cluster.json', dataDir: 'd' };

    it('refuses an id that is not in the node list', () => {
      expect(problemsOf({ flags: { ...base, id: 'cp9' } })).to.deep.equal([
        'The node id "cp9" is not in the cluster\'s node list.',
      ]);
    });

    it('refuses a node started by the command of the other role', () => {
      const problems = problemsOf({ role: 'central', flags: base });
      expect(problems).to.deep.equal([
        'The node "cp1" is a charge-point in the cluster, but this command starts a central.',
      ]);
    });

    it('refuses a charge point without a data dir', () => {
      expect(problemsOf({ flags: { id: 'cp1', clusterFile: 'cluster.json' } })).to.deep.equal([
        'A charge point needs a data dir for its durable acceptor state: give --data-dir.',
      ]);
    });

    it('refuses a secret shorter than 16 bytes', () => {
      const problems = problemsOf({ flags: { ...base, secret: 'short' } });
      expect(problems).to.have.length(1);
      expect(problems[0]).to.match(/secret is too short/);
    });

    it('refuses a port used twice', () => {
      const nodes = 'central-a=central@h:7000:7100,cp1=charge-point@h:7100:7101';
      const problems = problemsOf({
        flags: { id: 'cp1', clusterId: 'c', secret, nodes, dataDir: 'd' },
      });
      expect(problems).to.deep.equal([
        'The port h:7100 is used twice (central-a httpPort and cp1 clusterPort).',
      ]);
    });

    it('refuses a malformed node spec and a duplicate id', () => {
      const nodes =
        'central-a=central@h:7000:7100,cp1=acceptor@h:1:2,cp1=charge-point@h:7001:7101,cp1=charge-point@h:7002:7102';
      const problems = problemsOf({
        flags: { id: 'cp1', clusterId: 'c', secret, nodes, dataDir: 'd' },
      });
      expect(problems).to.deep.equal([
        'The node spec "cp1=acceptor@h:1:2" is not of the form id=central|charge-point@host:clusterPort:httpPort[:servicePort].',
        'The node id "cp1" is listed twice.',
      ]);
    });

    it('refuses quorums that do not intersect (q1 + q2 <= n)', () => {
      const problems = problemsOf({ flags: { ...base, phase1Quorum: 1, phase2Quorum: 2 } });
      expect(problems).to.have.length(2);
      expect(problems[0]).to.match(
        /phase-1 quorum \(1\) plus the phase-2 quorum \(2\) must exceed/,
      );
      // And a phase-1 quorum of at most half: a restarted central could reuse its ballot.
      expect(problems[1]).to.match(/phase-1 quorum \(1\) must be more than half the acceptors/);
    });

    it('refuses a missing cluster, with every problem at once', () => {
      const problems = problemsOf({ flags: {} });
      expect(problems).to.include(
        'Give the cluster: --cluster-file F, or --cluster-id, --secret and --nodes.',
      );
      expect(problems).to.include('The node id is missing: give --id.');
      expect(problems).to.include('The cluster secret is missing (secret or EVPAXOS_SECRET).');
    });

    it('refuses an unreadable or invalid cluster file', () => {
      expect(problemsOf({ flags: { ...base, clusterFile: 'nope.json' } })[0]).to.match(
        /^The cluster file nope.json cannot be read/,
      );
      const readFile = files({ 'bad.json': '{nope' });
      expect(problemsOf({ readFile, flags: { ...base, clusterFile: 'bad.json' } })[0]).to.match(
        /^The cluster file bad.json is not valid JSON/,
      );
    });

    it('refuses unknown keys in the config file (a typo would otherwise be ignored)', () => {
      const readFile = files({ 'cluster.json': cluster, 'config.json': { tickMS: 5 } });
      expect(problemsOf({ readFile, flags: { ...base, config: 'config.json' } })).to.deep.equal([
        'The config file has an unknown option "tickMS".',
      ]);
    });

    it('refuses non-numeric and non-boolean env values and an unknown log level', () => {
      const problems = problemsOf({
        flags: base,
        env: {
          EVPAXOS_TICK_MS: 'fast',
          EVPAXOS_UNSAFE_NO_FSYNC: 'maybe',
          EVPAXOS_LOG_LEVEL: 'loud',
        },
      });
      expect(problems).to.deep.equal([
        'tickMs must be a whole number of at least 1 (got fast).',
        'unsafeNoFsync must be true or false (got maybe).',
        'The log level "loud" is not one of error, warn, info, debug.',
      ]);
    });

    it('refuses a cluster without a charge point', () => {
      const nodes = 'central-a=central@h:7000:7100';
      const problems = problemsOf({
        role: 'central',
        flags: { id: 'central-a', clusterId: 'c', secret, nodes },
      });
      expect(problems).to.deep.equal([
        'The cluster needs at least one charge point (the acceptors).',
      ]);
    });
  });

  describe('role sections', () => {
    // A section as a role declares it (the site's is @evpaxos/site's siteConfigSection).
    const limitSection: ConfigSection<{ limitW: number }> = {
      key: 'limits',
      read(value, problems) {
        const limitW = (value as { limitW?: unknown } | null)?.limitW;
        if (typeof limitW === 'number') return { limitW };
        problems.push('limits.limitW must be a number.');
        return undefined;
      },
    };
    const withSection = (section: unknown) =>
      files({ 'cluster.json': { ...cluster, limits: section } });
    const flags = { id: 'cp1', clusterFile: 'cluster.json', dataDir: 'd' };

    it('hands a declared section of the cluster file to its reader', () => {
      const config = resolve({
        flags,
        readFile: withSection({ limitW: 44_000 }),
        sections: [limitSection],
      });
      expect(configSection(config, limitSection)).to.deep.equal({ limitW: 44_000 });
    });

    it('has no value for a declared section the cluster file does not hold', () => {
      const config = resolve({ flags, sections: [limitSection] });
      expect(configSection(config, limitSection)).to.equal(undefined);
    });

    it("reports the reader's problems with every other problem", () => {
      expect(
        problemsOf({
          flags: { ...flags, tickMs: 0 },
          readFile: withSection({ limitW: 'high' }),
          sections: [limitSection],
        }),
      ).to.deep.equal([
        'limits.limitW must be a number.',
        'tickMs must be a whole number of at least 1 (got 0).',
      ]);
    });

    it('refuses a section no role declares, as any unknown key', () => {
      expect(problemsOf({ flags, readFile: withSection({ limitW: 1 }) })).to.deep.equal([
        'The cluster file cluster.json has an unknown key "limits".',
      ]);
    });
  });

  describe('acceptors and learners (docs/CLUSTER.md)', () => {
    const flags = { id: 'cp1', clusterFile: 'cluster.json', dataDir: 'd' };
    const siteOf = (chargePoints: number, extra: Record<string, unknown> = {}) => ({
      ...cluster,
      ...extra,
      nodes: [
        cluster.nodes[0],
        ...Array.from({ length: chargePoints }, (_, index) => ({
          id: `cp${index + 1}`,
          role: 'charge-point',
          host: '127.0.0.1',
          clusterPort: 7001 + index,
          httpPort: 7101 + index,
        })),
      ],
    });
    const withFile = (file: unknown) => files({ 'cluster.json': file });

    it('makes every charge point an acceptor up to 7, and the first 5 of a larger site', () => {
      expect(resolve({ flags, readFile: withFile(siteOf(7)) }).acceptors).to.have.length(7);
      expect(resolve({ flags, readFile: withFile(siteOf(9)) }).acceptors).to.deep.equal([
        'cp1',
        'cp2',
        'cp3',
        'cp4',
        'cp5',
      ]);
    });

    it('takes the listed acceptors; the other charge points are learners', () => {
      const config = resolve({
        flags: { ...flags, id: 'cp4' },
        readFile: withFile(siteOf(4, { acceptors: ['cp1', 'cp2', 'cp3'] })),
      });
      expect(config.acceptors).to.deep.equal(['cp1', 'cp2', 'cp3']);
      expect(config.self.id).to.equal('cp4');
      // The flag (or EVPAXOS_ACCEPTORS) is a comma-separated list.
      expect(
        resolve({ flags: { ...flags, acceptors: 'cp2, cp3' }, readFile: withFile(siteOf(4)) })
          .acceptors,
      ).to.deep.equal(['cp2', 'cp3']);
    });

    it('refuses an acceptor that is not a charge point of the file, and an empty list', () => {
      expect(
        problemsOf({
          flags,
          readFile: withFile(siteOf(3, { acceptors: ['cp1', 'central-a', 'cp9'] })),
        }),
      ).to.deep.equal([
        'The acceptor "central-a" is a central: only charge points vote.',
        'The acceptor "cp9" is not in the cluster\'s node list.',
      ]);
      expect(problemsOf({ flags, readFile: withFile(siteOf(3, { acceptors: [] })) })).to.deep.equal(
        ['The acceptor list is empty.'],
      );
    });

    it('checks the quorums against the acceptors, not every charge point (Flexible Paxos)', () => {
      // 9 charge points, 5 acceptors: q1 = 3, q2 = 3 intersect (3 + 3 > 5).
      const config = resolve({
        flags,
        readFile: withFile(siteOf(9, { phase1Quorum: 3, phase2Quorum: 3 })),
      });
      expect([config.phase1Quorum, config.phase2Quorum]).to.deep.equal([3, 3]);
      const problems = problemsOf({
        flags,
        readFile: withFile(siteOf(9, { phase1Quorum: 3, phase2Quorum: 2 })),
      });
      expect(problems[0]).to.match(
        /plus the phase-2 quorum \(2\) must exceed the number of acceptors \(5\)/,
      );
    });
  });
});
