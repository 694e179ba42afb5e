import { Embeddings } from "@langchain/core/embeddings";
import type { LexicalEmbedder } from "@lessonloop/core/internal";

/** The offline lexical embedder as LangChain `Embeddings`, so a baseline store embeds exactly as our memory does. */
export class LexicalLangChainEmbeddings extends Embeddings {
  readonly #embedder: LexicalEmbedder;

  /** @param embedder The embedder our memory uses. */
  constructor(embedder: LexicalEmbedder) {
    super({});
    this.#embedder = embedder;
  }

  override async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((text) => this.#embedder.embedSync(text));
  }

  override async embedQuery(text: string): Promise<number[]> {
    return this.#embedder.embedSync(text);
  }
}
