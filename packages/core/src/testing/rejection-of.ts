/**
 * What a promise (or an async function) rejects with; fails the test when it
 * resolves instead. `expect(...).rejects` cannot inspect `LessonloopError`'s
 * code and details in one step; this can.
 */
export async function rejectionOf(operation: Promise<unknown> | (() => Promise<unknown>)): Promise<unknown> {
  try {
    await (typeof operation === "function" ? operation() : operation);
  } catch (error) {
    return error;
  }
  throw new Error("Expected a rejection, but the operation succeeded.");
}
