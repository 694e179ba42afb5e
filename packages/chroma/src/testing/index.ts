import { randomBytes } from "node:crypto";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the one Chroma server started by `chroma-global-setup.ts` (or `CHROMA_URL`). */
    chromaUrl: string;
  }
}

/**
 * A Chroma collection name no other test uses: `<prefix>-<time>-<random>`, trimmed to
 * Chroma's rules (3–512 characters of `[a-zA-Z0-9._-]`, starting and ending with a
 * letter or digit). Tests share one server and isolate themselves by collection.
 */
export function uniqueCollectionName(prefix = "test"): string {
  const clean = prefix.replace(/[^a-zA-Z0-9._-]+/g, "-").replace(/^[^a-zA-Z0-9]+|[^a-zA-Z0-9]+$/g, "").slice(0, 400) || "test";
  return `${clean}-${Date.now().toString(36)}-${randomBytes(6).toString("hex")}`;
}

/** The URL of the test run's Chroma server; only inside a vitest test file. */
export function testChromaUrl(): string {
  return inject("chromaUrl");
}

/** Whether a process with this pid is running (e.g. a Chroma server a test expects stopped). */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
