/** Limits and defaults of the OCPP link, each with its source. Every one is an option. */

/** OCPP 2.0.1 Part 4 §3.1.2: the WebSocket subprotocol. ocpp2.1 strict mode is broken in ocpp-rpc 2.2.1 (PR #94). */
export const ocppSubprotocol = 'ocpp2.0.1';

/** OCPP 2.0.1 Part 4 §3.1.1: the identity is the last URL segment, ≤ 48 characters, no ':'. */
export const identityLengthMax = 48;

/** How long a CALL waits for its CALLRESULT (ocpp-rpc's server default is 30 s). */
export const callTimeoutMsDefault = 30_000;

/** WebSocket ping cadence; a missing pong by the next ping terminates the socket (ocpp-rpc lib/client.js). */
export const pingIntervalMsDefault = 10_000;

/** Reconnect backoff: first delay, cap, and the jitter fraction (Part 4 §5.3 RetryBackOff*, approximated). */
export const backoffInitialMsDefault = 250;
export const backoffMaxMsDefault = 5_000;
export const backoffJitterDefault = 0.25;

/** A failed opening handshake (refused, 503, timeout) gives up after this long. */
export const connectTimeoutMsDefault = 5_000;

/** After this many invalid frames a peer is disconnected (ocpp-rpc maxBadMessages). */
export const badMessagesMaxDefault = 10;

/** WebSocket close code "Service Restart" (RFC 6455 §7.4.1 registry): sent when a central stops leading. */
export const closeCodeServiceRestart = 1012;

/**
 * The largest WebSocket message a CSMS reads; a larger one closes the connection with 1009
 * "Message Too Big" (RFC 6455 §7.4.1). Our largest message, a 1024-period SetChargingProfile, is
 * about 40 KiB; 256 KiB leaves room for a station's NotifyReport.
 */
export const frameBytesMaxDefault = 256 * 1024;

/** Per-station call rate at the CSMS: sustained calls/s and burst (docs/OCPP.md, "Bad input"). */
export const stationCallsPerSecondMaxDefault = 50;
export const stationCallBurstMaxDefault = 100;

/** WebSocket close code "Protocol Error" (RFC 6455 §7.4.1): no acceptable subprotocol was offered. */
export const closeCodeProtocolError = 1002;
