import { LessonloopError } from "@lessonloop/core";
import { describe, expect, it } from "vitest";
import { mapChromaError } from "./chroma-errors.js";

const SECRET_URL = "http://reader:s3cr%40t-pw@chroma.internal:8000";

function chromaError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Everything of an error a log or a `--json` answer can show. */
function shown(error: LessonloopError): string {
  const cause = error.cause as Error | undefined;
  return [error.message, JSON.stringify(error.details), String(cause), cause?.stack ?? "", cause?.message ?? ""].join("\n");
}

describe("mapChromaError", () => {
  it("never repeats the credentials of the URL: not in the message, the details nor the cause", () => {
    const causes = [
      chromaError("ChromaConnectionError", `Failed to connect to chromadb at ${SECRET_URL}/api/v2/heartbeat`),
      chromaError("ChromaServerError", `bad gateway from ${SECRET_URL}`),
      chromaError("ChromaAuthError", "unauthorized"),
      chromaError("TypeError", `Request cannot be constructed from a URL that includes credentials: ${SECRET_URL}/api/v2`),
    ];
    for (const cause of causes) {
      const error = mapChromaError(cause, { url: SECRET_URL, operation: "open collection lessonloop-lessons" });
      expect(shown(error)).not.toMatch(/s3cr|reader/);
      expect(error.message).toContain("http://***@chroma.internal:8000");
      expect(error.details["url"]).toBe("http://***@chroma.internal:8000");
    }
  });

  it("keeps the original error as cause when it names no credentials", () => {
    const cause = chromaError("ChromaConnectionError", "fetch failed");
    expect(mapChromaError(cause, { url: "http://127.0.0.1:8000", operation: "add edge cases" }).cause).toBe(cause);
  });

  it("classifies a full disk as storage_full, saying what to do, instead of a store to wait for", () => {
    for (const message of [
      "Query error: Database error: error returned from database: (code: 13) database or disk is full",
      "Internal error: No space left on device (os error 28)",
    ]) {
      const error = mapChromaError(chromaError("ChromaServerError", message), { url: "http://127.0.0.1:8000", operation: "commit lessons" });
      expect(error.code).toBe("storage_full");
      expect(error.message).toMatch(/disk is full.*Free space/);
    }
  });
});
