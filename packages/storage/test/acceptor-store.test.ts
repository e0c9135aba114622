import { FileStore } from '../src/file-store';
import { MemoryStore } from '../src/memory-store';
import type { AcceptorStore } from '../src/types';
import { acceptorStoreCompliance } from './compliance';
import { makeTempDir, recordingLogger, removeDir } from './helpers';

acceptorStoreCompliance('MemoryStore', () => {
  return {
    open: async (options) => new MemoryStore(options),
    reopen: async (store) => {
      await store.close();
      return (store as MemoryStore).reopen();
    },
    cleanup: async () => {},
  };
});

acceptorStoreCompliance('FileStore', () => {
  const dirs: string[] = [];
  const open: AcceptorStore[] = [];
  return {
    open: async (options) => {
      const dataDir = await makeTempDir();
      dirs.push(dataDir);
      const store = await FileStore.open({ dataDir, ...options }, { logger: recordingLogger() });
      open.push(store);
      return store;
    },
    reopen: async (store) => {
      await store.close();
      const dataDir = dirs[dirs.length - 1] as string;
      const reopened = await FileStore.open({ dataDir }, { logger: recordingLogger() });
      open.push(reopened);
      return reopened;
    },
    cleanup: async () => {
      for (const store of open) await store.close();
      for (const dir of dirs) await removeDir(dir);
    },
  };
});
