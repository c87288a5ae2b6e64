/** The run store for the queue commands: the RunConfig schema validates every config before it is written. */
import { safeParseRunConfig } from '../../shared/config.js';
import { defaultDataDir, openStore, type Store } from '../store/index.js';

export function openRunStore(dataDir: string | undefined, warn: (m: string) => void): Promise<Store> {
  return openStore({
    dataDir: dataDir ?? defaultDataDir(),
    validateConfig: (c) => {
      const r = safeParseRunConfig(c);
      return r.success ? { ok: true, value: r.data } : { ok: false, error: r.error.message };
    },
    onError: (err) => warn(`store: ${err.message}`),
  });
}
