/**
 * Where the current time comes from. Everything that stamps or compares times
 * takes a `Clock`, so tests can pass a manual one and get the same timestamps on
 * every run.
 */
export interface Clock {
  /** The current time. Each call returns a new `Date`, safe to mutate. */
  now(): Date;
}

/** The real wall clock. */
export const systemClock: Clock = {
  now: () => new Date(),
};
