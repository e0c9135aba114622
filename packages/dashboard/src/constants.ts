/** Every bound of the dashboard, written down once (docs/STYLE.md rule 3; docs/DASHBOARD.md). */
export const DASHBOARD_LIMITS = Object.freeze({
  /** How often the backend polls every node's /status (and a charge point's /evse), ms. */
  pollIntervalMs: 500,
  /**
   * Polling runs only while a browser is connected or, this long after an HTTP reader last asked
   * for GET /dashboard/api/view, ms; a view asked for after a pause is polled first.
   */
  viewReaderIdleMs: 5_000,
  /** One poll request, at most: a paused node must not stall the others' readings. */
  pollTimeoutMs: 400,
  /** Slots shown in the replicated log. */
  recentSlotsMax: 40,
  /** Power samples kept per charge point: 10 minutes at one per poll. */
  powerSamplesPerChargePointMax: 1200,
  /** Timeline events kept. */
  timelineEventsMax: 400,
  /** Browsers connected to one dashboard at once. */
  viewersMax: 32,
  /** How often the dashboard logs a "cluster-stats" line for `evpaxos report`, ms. */
  statsLogIntervalMs: 5_000,
  /** Traced messages shown in the message-sequence view: the last this many ms ... */
  traceWindowMs: 10_000,
  /** ... and at most this many (an election is ~40; a busy leader sends thousands a second). */
  traceMessagesMax: 800,
  /** Reservations remembered after they ended (cancelled, used or expired), greyed on the bars. */
  endedReservationsMax: 40,
  /** A lab restart waits this long for the node's /status. */
  restartReadyTimeoutMs: 10_000,
});

/** Where the page lives on every central's HTTP port. */
export const DASHBOARD_PATH = '/dashboard';
export const DASHBOARD_WS_PATH = '/dashboard/ws';

/** The site limit shown when the cluster file has none (the launcher's default, docs/DESIGN.md). */
export const SITE_LIMIT_W_SHOWN_DEFAULT = 44_000;
