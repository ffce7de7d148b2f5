import { EventEmitter } from 'node:events';

/**
 * Tells this process's workers that jobs were queued, so they deliver at once instead of at their next
 * interval. Best effort: a signal sent inside a transaction may arrive before the commit, which is why
 * workers also poll (WORKER_INTERVAL_MS) and look once more shortly after an empty wake-up.
 */
const signal = new EventEmitter();
signal.setMaxListeners(0);

export function signalJobs(): void {
  signal.emit('queued');
}

export function onJobsSignal(listener: () => void): () => void {
  signal.on('queued', listener);
  return () => signal.off('queued', listener);
}
