/**
 * The backend verdicts kept in the browser's IndexedDB (through `idb`), one per device and
 * model, so the next start of the same model on the same machine picks its backend without
 * timing it again. A database of its own: run history's schema and versions stay its own.
 * Whatever is read back is checked by the caller (backend-probe's validVerdict).
 */
import { openDB, type IDBPDatabase } from 'idb';
import type { StoredVerdict, VerdictCache } from './backend-probe';

const DB_NAME = 'generative-playground-backend-timing';
const STORE = 'verdicts';

export function browserVerdictCache(name = DB_NAME): VerdictCache {
  let opening: Promise<IDBPDatabase> | undefined;
  const database = () => {
    opening ??= openDB(name, 1, {
      upgrade(db) {
        db.createObjectStore(STORE);
      },
    });
    // a store that could not open (private browsing, a quota) is tried again at the next start
    opening.catch(() => (opening = undefined));
    return opening;
  };
  return {
    get: async (key) => (await database()).get(STORE, key) as Promise<unknown>,
    put: async (key, verdict: StoredVerdict) => {
      await (await database()).put(STORE, verdict, key);
    },
  };
}
