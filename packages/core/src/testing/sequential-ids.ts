import type { IdGenerator } from "../id-generator.js";

/**
 * Creates an id generator that counts up: `prefix-1`, `prefix-2`, … so tests
 * can name the records they expect. Each generator has its own counter.
 *
 * @param prefix Put before each number; letters, digits and `. _ : -` keep the
 *   ids valid store keys.
 */
export function createSequentialIds(prefix: string): IdGenerator {
  let count = 0;
  return () => {
    count += 1;
    return `${prefix}-${count}`;
  };
}
