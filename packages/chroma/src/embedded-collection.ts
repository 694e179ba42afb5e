import { LessonloopError, type Embedder } from "@lessonloop/core";
import type { ChromaClient, Collection } from "chromadb";
import { callChroma } from "./chroma-errors.js";
import { connectChroma } from "./chroma-server.js";

/**
 * Opens (or creates) a cosine collection of records embedded by `embedder`,
 * for the store named `store` (in errors) holding `what` (e.g. "examples").
 * Refuses a collection that holds something else, was built with another
 * embedder, or uses another distance; `label` names the server in errors.
 *
 * @throws LessonloopError `invalid_input` (no client or url, mismatched collection), `store_unavailable` (server unreachable).
 */
export async function openEmbeddedCollection({
  client,
  url,
  name,
  contents,
  embedder,
  store,
  what,
}: {
  client?: ChromaClient | undefined;
  url?: string | undefined;
  name: string;
  contents: string;
  embedder: Embedder;
  store: string;
  what: string;
}): Promise<{ collection: Collection; label: string }> {
  let chroma: ChromaClient;
  if (client !== undefined) chroma = client;
  else if (url !== undefined) chroma = connectChroma(url);
  else {
    throw new LessonloopError("invalid_input", `${store}.open needs "client" or "url" (e.g. the url of startChroma()).`, {
      details: { issues: [{ path: "url", message: "client or url is required" }] },
    });
  }
  const label = url ?? "the given ChromaClient";
  const collection = await callChroma({ url: label, operation: `open collection ${name}` }, () =>
    chroma.getOrCreateCollection({
      name,
      embeddingFunction: null,
      configuration: { hnsw: { space: "cosine" } },
      metadata: { contents, embedder: embedder.name },
    }),
  );
  // getOrCreateCollection keeps an existing collection's metadata and configuration.
  const holds = collection.metadata?.["contents"];
  if (holds !== undefined && holds !== contents) {
    throw new LessonloopError("invalid_input", `Collection "${name}" holds ${String(holds)}, not ${what}. Use another collection name.`, {
      details: { collection: name, contents: holds },
    });
  }
  const builtWith = collection.metadata?.["embedder"];
  if (builtWith !== undefined && builtWith !== embedder.name) {
    throw new LessonloopError(
      "invalid_input",
      `Collection "${name}" holds ${what} embedded with "${String(builtWith)}", not "${embedder.name}". Open it with the same embedder, or use another collection.`,
      { details: { collection: name, embedder: embedder.name, builtWith } },
    );
  }
  const space = collection.configuration.hnsw?.space ?? collection.configuration.spann?.space;
  if (space !== undefined && space !== null && space !== "cosine") {
    throw new LessonloopError("invalid_input", `Collection "${name}" uses the "${space}" distance; ${what} need "cosine". Use another collection name.`, {
      details: { collection: name, space },
    });
  }
  return { collection, label };
}
