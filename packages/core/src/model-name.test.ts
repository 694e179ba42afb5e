import type { BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { LangSmithParams } from "@langchain/core/language_models/chat_models";
import { describe, expect, it } from "vitest";
import { chatModelName } from "./model-name.js";
import { ScriptedChatModel } from "./testing/scripted-chat-model.js";

/** A chat model that reports a model name for tracing the way provider integrations do, or none. */
class ProviderChatModel extends BaseChatModel {
  constructor(readonly model: string | undefined) {
    super({});
  }

  override _llmType(): string {
    return "provider";
  }

  override getLsParams(options: this["ParsedCallOptions"]): LangSmithParams {
    return { ...super.getLsParams(options), ...(this.model === undefined ? {} : { ls_model_name: this.model }) };
  }

  override async _generate(_messages: BaseMessage[]): Promise<ChatResult> {
    return { generations: [] };
  }
}

describe("chatModelName", () => {
  it("is the model name the chat model reports, not its class", () => {
    expect(new ProviderChatModel("gpt-test-mini").getName()).toBe("ProviderChatModel");
    expect(chatModelName(new ProviderChatModel("  gpt-test-mini "))).toBe("gpt-test-mini");
    expect(chatModelName(new ScriptedChatModel({ responses: [], name: "peer-a" }))).toBe("peer-a");
  });

  it("falls back to the runnable name when the model reports no model name", () => {
    expect(chatModelName(new ProviderChatModel(undefined))).toBe("ProviderChatModel");
    expect(chatModelName(new ProviderChatModel(" "))).toBe("ProviderChatModel");
  });
});
