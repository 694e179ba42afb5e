/**
 * Runs the tasks handed to it one at a time, in the order they came: each
 * starts once the one before it has settled, whether it resolved or rejected.
 * Each caller gets its own task's result or error; a failure never stalls the
 * tasks behind it.
 */
export type SerialQueue = <T>(run: () => Promise<T>) => Promise<T>;

export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(run: () => Promise<T>): Promise<T> => {
    const next = tail.then(run, run);
    // The tail only orders tasks: a rejection is the caller's, not the next task's.
    tail = next.catch(() => undefined);
    return next;
  };
}
