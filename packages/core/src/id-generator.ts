import { randomUUID } from "node:crypto";

/**
 * Makes a fresh, unique id on every call. Passed in wherever records are
 * created, so tests can use sequential ids instead of random ones.
 */
export type IdGenerator = () => string;

/** Random v4 UUIDs: unique across processes, valid store keys. */
export const randomId: IdGenerator = () => randomUUID();
