import type { Clock } from "../clock.js";

/** A clock that only moves when a test moves it. */
export interface ManualClock extends Clock {
  /** Moves the clock forward by `ms` milliseconds (backwards when negative). */
  advance(ms: number): void;
  /** Jumps to a given time (a `Date` or an ISO-8601 string). */
  set(date: Date | string): void;
}

/**
 * Creates a clock that stands still until `advance` or `set` is called, for
 * tests that assert on timestamps.
 *
 * @param start The clock's first time, a `Date` or an ISO-8601 string.
 */
export function createManualClock(start: Date | string = "2026-01-01T00:00:00.000Z"): ManualClock {
  let currentMs = toMilliseconds(start, "start");
  return {
    // A new Date each call, so a caller mutating it cannot move the clock.
    now: () => new Date(currentMs),
    advance(ms) {
      if (!Number.isFinite(ms)) {
        throw new RangeError(`ManualClock.advance expects a finite number of milliseconds, got ${String(ms)}.`);
      }
      currentMs += ms;
    },
    set(date) {
      currentMs = toMilliseconds(date, "set");
    },
  };
}

function toMilliseconds(date: Date | string, argument: string): number {
  const ms = typeof date === "string" ? Date.parse(date) : date.getTime();
  if (Number.isNaN(ms)) {
    throw new RangeError(
      `ManualClock ${argument} must be a valid Date or ISO-8601 string such as "2026-01-01T00:00:00.000Z", got ${String(date)}.`,
    );
  }
  return ms;
}
