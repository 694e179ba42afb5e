import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One message of a chat-completions request, as the client sent it. */
export interface ChatCompletionMessage {
  role: string;
  content?: string | null | Array<{ type: string; text?: string }>;
  tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
  name?: string;
}

/** A chat-completions request body, as the client sent it (fields the server does not read are kept). */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatCompletionMessage[];
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: Record<string, unknown> } }>;
  tool_choice?: unknown;
  response_format?: { type: string; json_schema?: { name: string; schema?: Record<string, unknown> } };
  temperature?: number;
  seed?: number;
  stream?: boolean;
  [field: string]: unknown;
}

/** What the server answers: text, tool calls, or both, with the token usage to report. */
export interface ChatCompletionAnswer {
  content?: string | null;
  /** Tool calls to emit; `id` defaults to `call_<n>` (n counting the server's tool calls from 1), `arguments` may be an object or raw text. */
  toolCalls?: Array<{ id?: string; name: string; arguments: Record<string, unknown> | string }>;
  /** Token usage to report; estimated from characters (4 a token) when left out. */
  usage?: { promptTokens: number; completionTokens: number };
}

/**
 * Answers one request: a text, a full answer, or an `Error`, which the server
 * returns as an HTTP 400 with the error's message (clients do not retry a 400).
 * `index` counts the requests from 0.
 */
export type ChatCompletionResponder = (
  request: ChatCompletionRequest,
  index: number,
) => string | ChatCompletionAnswer | Error | Promise<string | ChatCompletionAnswer | Error>;

/** One request the server got and what it sent back (the JSON body, or the error message). */
export interface ChatCompletionExchange {
  request: ChatCompletionRequest;
  response?: ChatCompletionResponse;
  error?: string;
}

/** The JSON body of a non-streaming chat-completions response. */
export interface ChatCompletionResponse {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: "assistant"; content: string | null; tool_calls?: Array<{ id: string; type: "function"; function: { name: string; arguments: string } }> };
    finish_reason: "stop" | "tool_calls";
  }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export interface OpenAiProtocolServerParams {
  /** How the server answers each request. */
  respond: ChatCompletionResponder;
}

/** A running server; `close()` it when done. */
export interface OpenAiProtocolServer {
  /** e.g. `http://127.0.0.1:43817/v1`: pass it as `configuration.baseURL`. */
  readonly baseURL: string;
  /** Every request so far, oldest first, with the answer sent. */
  readonly exchanges: readonly ChatCompletionExchange[];
  /** The request bodies of `exchanges`. */
  readonly requests: readonly ChatCompletionRequest[];
  close(): Promise<void>;
}

/** The text of a request message, whether sent as a string or as content parts. */
export function messageText(message: ChatCompletionMessage | undefined): string {
  const content = message?.content;
  if (content === undefined || content === null) return "";
  return typeof content === "string" ? content : content.map((part) => part.text ?? "").join("");
}

const tokens = (text: string) => Math.ceil(text.length / 4);

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

/**
 * A real HTTP server on 127.0.0.1 (a free port) that speaks the OpenAI
 * chat-completions protocol — `POST /v1/chat/completions`, non-streaming JSON,
 * tool calls in `choices[0].message.tool_calls`, `usage` — with scripted
 * answers, so a real `ChatOpenAI` client can be tested over a real socket.
 */
export async function startOpenAiProtocolServer({ respond }: OpenAiProtocolServerParams): Promise<OpenAiProtocolServer> {
  const exchanges: ChatCompletionExchange[] = [];
  let toolCalls = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      send(res, 404, { error: { message: `no route ${req.method ?? ""} ${req.url ?? ""}`, type: "invalid_request_error" } });
      return;
    }
    const request = JSON.parse(body) as ChatCompletionRequest;
    const exchange: ChatCompletionExchange = { request };
    exchanges.push(exchange);
    const fail = (message: string) => {
      exchange.error = message;
      send(res, 400, { error: { message, type: "invalid_request_error" } });
    };
    if (request.stream === true) return fail("this test server answers non-streaming requests only (the request set stream: true)");
    const answer = await respond(request, exchanges.length - 1);
    if (answer instanceof Error) return fail(answer.message);
    const { content = null, toolCalls: calls = [], usage } = typeof answer === "string" ? { content: answer } : answer;
    const wireCalls = calls.map((call) => ({
      id: call.id ?? `call_${++toolCalls}`,
      type: "function" as const,
      function: { name: call.name, arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments) },
    }));
    const promptTokens = usage?.promptTokens ?? tokens(JSON.stringify(request.messages));
    const completionTokens = usage?.completionTokens ?? tokens((content ?? "") + wireCalls.map((call) => call.function.name + call.function.arguments).join(""));
    const response: ChatCompletionResponse = {
      id: `chatcmpl-${exchanges.length}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content, ...(wireCalls.length === 0 ? {} : { tool_calls: wireCalls }) },
          finish_reason: wireCalls.length === 0 ? "stop" : "tool_calls",
        },
      ],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    };
    exchange.response = response;
    send(res, 200, response);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A responder that throws is a broken test script: say so in the response rather than hang the client.
      if (!res.headersSent) send(res, 500, { error: { message: `test server responder threw: ${error instanceof Error ? error.message : String(error)}`, type: "server_error" } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    exchanges,
    get requests() {
      return exchanges.map((exchange) => exchange.request);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
