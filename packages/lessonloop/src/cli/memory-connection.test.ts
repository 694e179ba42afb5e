import { LessonloopError } from "@lessonloop/core";
import { rejectionOf } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { embedderNamed } from "./memory-connection.js";

describe("embedderNamed", () => {
  it("rebuilds the offline lexical embedder a memory was built with", async () => {
    expect(embedderNamed(undefined, "Memory").name).toBe("lexical-v1-1024");
    const small = embedderNamed("lexical-v1-256", "Memory");
    expect(small).toMatchObject({ name: "lexical-v1-256", dimensions: 256 });
    expect(await small.embedQuery("refund times out")).toHaveLength(256);
  });

  it("keeps another embedder's name so reads work, and refuses to embed with a message saying what to do", async () => {
    const other = embedderNamed("openai:text-embedding-3-small", 'Memory "support"');
    expect(other.name).toBe("openai:text-embedding-3-small");
    const error = await rejectionOf(other.embedDocuments(["a lesson"]));
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as Error).message).toMatch(/^Memory "support" embeds with "openai:text-embedding-3-small", which the command-line tool cannot load/);
    expect((error as Error).message).toMatch(/approve the lesson from code with the same embedder/);
  });
});
