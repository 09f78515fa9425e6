import { beforeEach } from 'vitest';
import { useMemoryStore } from '../../shared/state/select.js';

// Every test starts with an empty embedded state store, as a fresh deployment would: what one test
// stored (schedule records, webhook ids, history) must not decide another's outcome.
beforeEach(() => {
  useMemoryStore(undefined);
});
