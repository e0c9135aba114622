export type { AcceptorStore, StoreStats, Logger } from './types';
export { FileStore } from './file-store';
export type { FileStoreOptions, FileStoreCollaborators } from './file-store';
export { MemoryStore } from './memory-store';
export type { MemoryStoreOptions } from './memory-store';
export { StoreError } from './errors';
export type { StoreErrorCode } from './errors';
export {
  LOG_BYTES_MAX_DEFAULT,
  RECORD_BYTES_MAX_DEFAULT,
  PENDING_APPENDS_MAX_DEFAULT,
  PREALLOCATE_BYTES_DEFAULT,
} from './constants';
export { zeroFillAhead } from './preallocation';
