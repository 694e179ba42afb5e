import { describe, expect, it } from "vitest";
import { IdSchema } from "../ids.js";
import { randomId } from "../id-generator.js";
import { createSequentialIds } from "./sequential-ids.js";

describe("createSequentialIds", () => {
  it("counts up from 1 after the prefix, one counter per generator", () => {
    const lessonIds = createSequentialIds("lesson");
    const episodeIds = createSequentialIds("episode");
    expect([lessonIds(), lessonIds(), episodeIds(), lessonIds()]).toEqual([
      "lesson-1",
      "lesson-2",
      "episode-1",
      "lesson-3",
    ]);
  });

  it("makes ids that are valid store keys", () => {
    expect(IdSchema.safeParse(createSequentialIds("edge-case")()).success).toBe(true);
  });
});

describe("randomId", () => {
  it("makes distinct UUIDs that are valid store keys", () => {
    const ids = new Set(Array.from({ length: 100 }, randomId));
    expect(ids.size).toBe(100);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(IdSchema.safeParse(id).success).toBe(true);
    }
  });
});
