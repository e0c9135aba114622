// The public API of @evpaxos/storage: the acceptor store the runtime opens, and the preallocation
// the benchmark's bare commit path shares with it; the in-memory twin, the errors and the limits
// stay inside (the package's own tests use them).
export type { AcceptorStore, StoreStats } from './types';
export { FileStore } from './file-store';
export { PREALLOCATE_BYTES_DEFAULT } from './constants';
export { zeroFillAhead } from './preallocation';
