import { expect } from 'chai';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * scripts/netns-cluster.sh: a cluster where every node has its own network namespace and IP, so a
 * partition is a real one (routes and links), not an application fault rule. Runs where the
 * machine allows (root, `ip netns`), and is skipped with the reason printed elsewhere. Every
 * namespace it makes carries a prefix of its own and is deleted at the end, pass or fail.
 */

const root = path.resolve(__dirname, '../../../..');
const script = path.join(root, 'scripts/netns-cluster.sh');

function whyNot(): string | null {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'needs root (ip netns add)';
  const ip = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0)
    return `ip netns does not work here (${ip.error?.message ?? ip.stderr.trim()})`;
  const probe = `evpprobe${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0) return `cannot create a network namespace (${add.stderr.trim()})`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

describe('netns-cluster.sh: one network namespace per node (real partitions)', function () {
  this.timeout(60_000);
  // A prefix of our own (interface names are limited to 15 characters: prefix ≤ 5).
  const prefix = `t${process.pid % 10_000}`;
  let dir = '';

  function run(...args: string[]): SpawnSyncReturns<string> {
    return spawnSync('bash', [script, '--dir', dir, '--prefix', prefix, ...args], {
      encoding: 'utf8',
      timeout: 30_000,
    });
  }
  function ok(...args: string[]): string {
    const result = run(...args);
    expect(result.status, `${args.join(' ')}:\n${result.stdout}\n${result.stderr}`).to.equal(0);
    return result.stdout;
  }
  function namespaces(): string[] {
    const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    return list
      .split('\n')
      .map((line) => line.split(' ')[0]!)
      .filter((name) => name.startsWith(`${prefix}-`));
  }

  before(function () {
    const reason = whyNot();
    if (reason !== null) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-netns-'));
  });

  after(function () {
    if (dir === '') return;
    const down = run('down');
    // Whatever happened above, no namespace of ours is left.
    for (const name of namespaces()) spawnSync('ip', ['netns', 'del', name]);
    expect(namespaces(), down.stdout + down.stderr).to.deep.equal([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('netns: up puts 1 central + 3 charge points in their own namespaces and elects a leader', () => {
    const out = ok('up', '--centrals', '1', '--charge-points', '3', '--unsafe-no-fsync');
    expect(out).to.match(/central-a\s+central\s+leader/);
    expect(namespaces()).to.have.members([
      `${prefix}-switch`,
      `${prefix}-central-a`,
      `${prefix}-cp1`,
      `${prefix}-cp2`,
      `${prefix}-cp3`,
    ]);
    // Each node has its own address, inside its namespace only.
    const address = ok('exec', 'cp2', 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0');
    expect(address).to.include('10.77.0.12/24');
    expect(spawnSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' }).stdout).to.not.include(
      '10.77.0.',
    );
    const ack = JSON.parse(ok('submit', '{"type":"Noop"}')) as { slot: number };
    expect(ack.slot).to.be.a('number');
  });

  it('netns: cut one charge point off the leader: commits go on (2 of 3 acceptors)', () => {
    ok('cut', 'cp1', 'central-a');
    const ack = JSON.parse(ok('submit', '{"type":"Noop","cut":"cp1"}')) as { slot: number };
    expect(ack.slot).to.be.a('number');
  });

  it('netns: cut a second one: no quorum, no commit; restore: commits again', () => {
    ok('cut', 'cp2', 'central-a');
    const refused = run('submit', '{"type":"Noop","cut":"cp1+cp2"}', '--timeout-ms', '1500');
    expect(refused.status, refused.stdout + refused.stderr).to.not.equal(0);
    ok('restore', 'cp2', 'central-a');
    const ack = JSON.parse(
      ok('submit', '{"type":"Noop","restored":"cp2"}', '--timeout-ms', '10000'),
    ) as {
      slot: number;
    };
    expect(ack.slot).to.be.a('number');
  });

  it('netns: isolate takes a node off the bridge (ip link); rejoin brings it back', () => {
    ok('restore', 'cp1', 'central-a');
    ok('isolate', 'cp3');
    const ping = run('exec', 'cp3', 'node', '-e', pingScript('10.77.0.10', 7100));
    expect(ping.status, 'cp3 cannot reach central-a').to.not.equal(0);
    ok('submit', '{"type":"Noop","isolated":"cp3"}', '--timeout-ms', '10000');
    ok('rejoin', 'cp3');
    const again = run('exec', 'cp3', 'node', '-e', pingScript('10.77.0.10', 7100));
    expect(again.status, again.stderr).to.equal(0);
  });

  it('netns: loss and delay with tc netem (where the kernel has sch_netem)', function () {
    const loss = run('loss', 'cp1', '20');
    if (loss.status !== 0 && /netem is not available/.test(loss.stderr)) {
      console.log(`      skipped: ${loss.stderr.trim()}`);
      this.skip();
    }
    expect(loss.status, loss.stderr).to.equal(0);
    ok('delay', 'cp2', '50');
    ok('submit', '{"type":"Noop","netem":true}', '--timeout-ms', '10000');
    ok('clear', 'cp1');
    ok('clear', 'cp2');
  });
});

/** A TCP connect from inside a namespace: exit 0 if it opens within 1 s. */
function pingScript(host: string, port: number): string {
  return `const s=require('net').connect(${port},'${host}',()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(1),1000);`;
}
