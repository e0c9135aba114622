import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { apiAuthHeaders, readProcessesFile } from '@evpaxos/runtime';

/**
 * The real thing: a 7-process cluster started by the launcher in lab mode, the leader's dashboard
 * loaded in headless Chromium (Debian's `chromium` package, driven by playwright-core), a partition
 * triggered from the page, and a screenshot in test-artifacts/dashboard.png.
 */

const chromiumPath = '/usr/bin/chromium';
const packagesDir = path.resolve(__dirname, '../../..');
const repoDir = path.resolve(packagesDir, '..');
const artifactsDir = path.join(repoDir, 'test-artifacts');

/**
 * The launcher's API (@evpaxos/cli's public API), loaded by path: the cli depends on this package,
 * not the other way round.
 */
interface ClusterHandleLike {
  waitForLeader(timeoutMs?: number, among?: readonly string[]): Promise<{ leaderId: string }>;
  submit(
    payload: unknown,
    options?: { timeoutMs?: number },
  ): Promise<{ slot: number; nodeId: string }>;
  down(): Promise<unknown>;
}
interface LauncherLike {
  clusterUp(options: Record<string, unknown>): Promise<ClusterHandleLike>;
}

/** Polls `probe` every 250 ms until it returns a value, or fails naming `what`. */
async function waitForValue<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('dashboard: in headless Chromium against a real cluster (2 centrals, 5 charge points, lab mode)', function () {
  this.timeout(120_000);
  let dir: string;
  let cluster: ClusterHandleLike | undefined;
  let browser: Browser | undefined;

  before(function () {
    if (!fs.existsSync(chromiumPath)) {
      console.log(
        `      skipped: ${chromiumPath} is missing (apt-get install -y chromium; .ci/run does it)`,
      );
      this.skip();
    }
  });

  afterEach(async () => {
    await browser?.close().catch(() => undefined);
    browser = undefined;
    await cluster?.down().catch(() => undefined);
    cluster = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the leader and the five charge points, and a partition from the page changes the view', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const launcher = require(path.join(packagesDir, 'cli')) as LauncherLike;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-dashboard-'));
    cluster = await launcher.clusterUp({
      dir,
      basePort: 0,
      centrals: 2,
      chargePoints: 5,
      unsafeNoFsync: true,
      lab: true,
    });
    let { leaderId } = await cluster.waitForLeader(10_000);
    const nodes = readProcessesFile(dir).nodes;
    const urlOf = (id: string) => {
      const node = nodes.find((candidate) => candidate.id === id);
      if (!node) throw new Error(`no node ${id}`);
      return `http://${node.host}:${node.httpPort}`;
    };
    // The central that decided it (a loaded machine may have changed leaders since the wait).
    const { nodeId: decidedBy } = await cluster.submit({ type: 'Noop' }, { timeoutMs: 5_000 });

    // The other endpoints this issue adds, while the cluster is up.
    const metrics = await (await fetch(`${urlOf(decidedBy)}/metrics`)).text();
    expect(metrics).to.match(/evpaxos_slots_decided_total\{[^}]*\} [1-9]/);
    expect(metrics).to.include('evpaxos_commit_latency_seconds_bucket');
    expect(metrics).to.include('evpaxos_messages_total{direction="out",type=');
    const evse = (await (await fetch(`${urlOf('cp1')}/evse`)).json()) as Record<string, unknown>;
    expect(evse).to.include({
      chargePointId: 'cp1',
      evseState: 'waitingEV',
      evState: 'not_connected',
    });

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Lab actions need the API token (docs/CLUSTER.md, "Authentication"): refused without it,
    // even same-origin; the page gets it in the URL fragment, as `cluster up --lab` prints it.
    const unauthenticated = await fetch(`${urlOf(leaderId)}/dashboard/api/lab/heal`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(unauthenticated.status).to.equal(401);
    const token = fs.readFileSync(path.join(dir, 'api-token'), 'utf8').trim();
    await page.goto(`${urlOf(leaderId)}/dashboard#token=${token}`);

    await page.waitForSelector('.node.leader', { timeout: 10_000 });
    // A loaded machine may have held another election since: compare with the leader now.
    ({ leaderId } = await cluster.waitForLeader(10_000));
    await page.waitForSelector(`.node.leader[data-node="${leaderId}"]`, { timeout: 10_000 });
    expect(await page.textContent('#leader-id')).to.equal(leaderId);
    const cards = await page.$$eval('.cp[data-cp]', (elements) =>
      elements.map((element) => element.getAttribute('data-cp')),
    );
    expect(cards).to.deep.equal(['cp1', 'cp2', 'cp3', 'cp4', 'cp5']);
    expect(await page.$$('.cp .state.lit')).to.have.length(10);
    await page.waitForSelector('#slots tr[data-slot] .acc:not(.no)', { timeout: 5_000 });
    expect(await page.$$('.link-cut')).to.have.length(0);

    // Paxos on the wire: tracing is off, the view says how to turn it on; the lab button turns it
    // on everywhere and a command's Accept, Accepted and Decide are drawn between the lanes.
    expect(await page.textContent('#trace-state')).to.contain('tracing is off');
    expect(await page.$$('.sequence line.msg')).to.have.length(0);
    await page.click('#trace-on');
    await page.waitForFunction(
      `(document.querySelector('#trace-state')?.textContent ?? '').includes('tracing on central-a')`,
      null,
      { timeout: 5_000 },
    );
    await cluster.submit({ type: 'Noop' }, { timeoutMs: 5_000 });
    for (const type of ['accept', 'accepted', 'decide']) {
      await page.waitForSelector(`.sequence line.msg-${type}`, { timeout: 5_000 });
    }
    const lanes = await page.$$eval('.sequence .lane-label', (elements) =>
      elements.map((element) => element.textContent),
    );
    expect(lanes).to.deep.equal(['central-a', 'central-b', 'cp1', 'cp2', 'cp3', 'cp4', 'cp5']);
    // An Accept goes from the leader's lane down to a charge point's.
    const accept = await page.$eval('.sequence line.msg-accept', (line) => ({
      y1: Number(line.getAttribute('y1')),
      y2: Number(line.getAttribute('y2')),
      title: line.textContent ?? '',
    }));
    expect(accept.title).to.match(new RegExp(`^accept ${leaderId} → cp\\d ballot `));
    expect(accept.y2).to.be.above(accept.y1);

    // Reservations: an agreed window in the future is a bar on its charge point's row, right of
    // the "now" line.
    const startsAtMs = Date.now() + 20 * 60_000;
    let reserveUrl = urlOf(leaderId);
    const reserved = await waitForValue('cp2 registered and reserved', 60_000, async () => {
      const answer = await fetch(`${reserveUrl}/reservations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...apiAuthHeaders(token) },
        body: JSON.stringify({
          chargePointId: 'cp2',
          idToken: 'ALICE',
          reservationId: 41,
          startsAtMs,
          expiresAtMs: startsAtMs + 60 * 60_000,
        }),
      });
      const body = (await answer.json()) as { leaderUrl?: string | null };
      if (answer.status === 421 && body.leaderUrl) reserveUrl = body.leaderUrl;
      return answer.status === 201 ? answer.status : undefined;
    });
    expect(reserved).to.equal(201);
    await page.waitForSelector('#reservation-bars g.bar[data-reservation="41"]', {
      timeout: 5_000,
    });
    const bar = await page.$eval('#reservation-bars g.bar[data-reservation="41"]', (group) => ({
      x: Number(group.querySelector('rect')?.getAttribute('x')),
      width: Number(group.querySelector('rect')?.getAttribute('width')),
      text: group.querySelector('text')?.textContent ?? '',
      ended: group.getAttribute('class')?.includes('ended') ?? false,
    }));
    const nowX = Number(
      await page.$eval('#reservation-bars line.now', (line) => line.getAttribute('x1')),
    );
    expect(bar.text).to.match(/^#41 ALICE \d\d:\d\d–\d\d:\d\d$/);
    expect(bar.x).to.be.above(nowX);
    expect(bar.width).to.be.above(3);
    expect(bar.ended).to.equal(false);
    fs.mkdirSync(artifactsDir, { recursive: true });
    await page
      .locator('#reservations')
      .screenshot({ path: path.join(artifactsDir, 'dashboard-reservations.png') });
    // Frozen at the last message with a 500 ms span, one slot's round trip is spread out.
    await page.check('#trace-freeze');
    await page.selectOption('#trace-span', '500');
    await page
      .locator('#messages')
      .screenshot({ path: path.join(artifactsDir, 'dashboard-messages.png') });
    await page.uncheck('#trace-freeze');
    const cancelled = await fetch(`${reserveUrl}/reservations/41`, {
      method: 'DELETE',
      headers: apiAuthHeaders(token),
    });
    expect(cancelled.status).to.equal(200);
    await page.waitForSelector('#reservation-bars g.bar.ended[data-reservation="41"]', {
      timeout: 5_000,
    });

    // Lab mode: isolate the leader from the page; the other central must take over.
    await page.click('#isolate-leader');
    await page.waitForSelector('.link-cut', { timeout: 5_000 });
    // Page functions as strings: this package compiles without the DOM library.
    await page.waitForFunction(
      `(() => { const t = document.querySelector('#leader-id')?.textContent ?? '';
         return t !== ${JSON.stringify(leaderId)} && t !== 'none' && t !== ''; })()`,
      null,
      { timeout: 15_000 },
    );
    const newLeader = await page.textContent('#leader-id');
    // The token left the address bar once traded for the cookie.
    expect(page.url()).to.not.include('token=');
    expect(newLeader).to.not.equal(leaderId);
    await page.waitForSelector('.timeline .ev-lab', { timeout: 2_000 });

    fs.mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: path.join(artifactsDir, 'dashboard.png'), fullPage: true });

    await page.click('#heal');
    await page.waitForFunction(`document.querySelectorAll('.link-cut').length === 0`, null, {
      timeout: 5_000,
    });
    expect(pageErrors).to.deep.equal([]);
  });
});
