/**
 * The cluster benchmark (`npm run bench`) is a program, not a library: its entry point is main.ts,
 * and no other package imports it, so its public API is empty.
 */
export {};
