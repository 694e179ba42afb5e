import fc from "fast-check";
import { DateFormatSchema } from "../../environments/date-format.js";
import { DistanceUnitSchema, GreetingSchema, type Directive } from "../lesson-language.js";

/** Names the lesson language accepts: any lower-case identifier, `a` included. */
export const anyName = fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/);

/** Names as tools are called: snake_case with at least one underscore (`create_invoice`). */
export const snakeCaseName = fc.stringMatching(/^[a-z][a-z0-9]{0,6}(?:_[a-z0-9]{1,6}){1,2}$/);

const amount = fc.integer({ min: 1, max: 100_000 }).map((cents) => cents / 100);

export interface DirectiveArbitraryOptions {
  /** Tool names. Default {@link anyName}. */
  toolName?: fc.Arbitrary<string>;
  /** Field and parameter names. Default {@link anyName}. */
  fieldName?: fc.Arbitrary<string>;
  /** Parameter values. Default: short strings, booleans and whole numbers. */
  value?: fc.Arbitrary<string | number | boolean>;
}

/** Every kind of directive, with every aspect and quantity, over the given names. */
export function arbitraryDirective({
  toolName = anyName,
  fieldName = anyName,
  value = fc.oneof(fc.stringMatching(/^[A-Za-z0-9@. _-]{1,20}$/), fc.boolean(), fc.integer({ min: -5, max: 500 })),
}: DirectiveArbitraryOptions = {}): fc.Arbitrary<Directive> {
  const tool = fc.oneof(toolName, fc.constant("*"));
  return fc.oneof(
    fc.record({ kind: fc.constant("rename_field" as const), tool, from: fieldName, to: fieldName }),
    fc.record({ kind: fc.constant("scale_value" as const), tool, field: fieldName, factor: fc.constantFrom(0.001, 0.1, 1.2, 100, 1000) }),
    fc.record({ kind: fc.constant("include_param" as const), tool, param: fieldName, value }),
    fc.record({ kind: fc.constant("replace_tool" as const), from: toolName, to: toolName }),
    fc.record({ kind: fc.constant("format_field" as const), tool, field: fieldName, format: fc.constantFrom(...DateFormatSchema.options) }),
    fc.record({ kind: fc.constant("batch_calls" as const), tool: toolName, batchTool: toolName, param: fieldName }),
    fc.record({
      kind: fc.constant("route_above" as const),
      tool,
      quantity: fc.constantFrom("amount" as const, "days_since_delivery" as const),
      above: amount,
      instead: toolName,
    }),
    fc.record({ kind: fc.constant("preference" as const), aspect: fc.constant("date_format" as const), value: fc.constantFrom(...DateFormatSchema.options) }),
    fc.record({ kind: fc.constant("preference" as const), aspect: fc.constant("units" as const), value: fc.constantFrom(...DistanceUnitSchema.options) }),
    fc.record({ kind: fc.constant("preference" as const), aspect: fc.constant("greeting" as const), value: fc.constantFrom(...GreetingSchema.options) }),
    fc.record({ kind: fc.constant("preference" as const), aspect: fc.constant("confirm_above" as const), value: amount }),
  );
}

/** The two names a directive sets against each other (old and new field, replaced and replacing tool …), when it has two. */
export function opposedNames(directive: Directive): [string, string] | undefined {
  switch (directive.kind) {
    case "rename_field":
    case "replace_tool":
      return [directive.from, directive.to];
    case "batch_calls":
      return [directive.tool, directive.batchTool];
    case "route_above":
      return [directive.tool, directive.instead];
    default:
      return undefined;
  }
}

/**
 * A directive as a reader of meaning can take it: its two opposed names
 * differ (a tool replaced by itself says nothing) and no value holds a full
 * stop followed by a space (a reader splits sentences there).
 */
export function isMeaningful(directive: Directive): boolean {
  const names = opposedNames(directive);
  if (names !== undefined && names[0] === names[1]) return false;
  return !(directive.kind === "include_param" && typeof directive.value === "string" && /[.!?]\s/.test(directive.value));
}

/** One directive of each shape, with the worlds' own names: a fixed corpus for exhaustive checks. */
export const DIRECTIVE_CORPUS: readonly Directive[] = [
  { kind: "rename_field", tool: "create_invoice", from: "amount", to: "amount_minor" },
  { kind: "rename_field", tool: "*", from: "amount", to: "amount_minor" },
  { kind: "scale_value", tool: "ship_order", field: "weight", factor: 1000 },
  { kind: "scale_value", tool: "*", field: "amount", factor: 0.001 },
  { kind: "scale_value", tool: "create_invoice", field: "amount", factor: 1.2 },
  { kind: "include_param", tool: "create_order", param: "currency", value: "EUR" },
  { kind: "include_param", tool: "ship_order", param: "service", value: "express" },
  { kind: "include_param", tool: "send_invoice", param: "cc", value: "billing@ext.example" },
  { kind: "include_param", tool: "*", param: "validate_address", value: false },
  { kind: "include_param", tool: "create_order", param: "priority", value: 3 },
  { kind: "replace_tool", from: "send_invoice", to: "deliver_invoice" },
  { kind: "batch_calls", tool: "get_customer", batchTool: "get_customers", param: "customer_ids" },
  ...DateFormatSchema.options.map((format): Directive => ({ kind: "format_field", tool: "ship_order", field: "ship_date", format })),
  ...DateFormatSchema.options.map((format): Directive => ({ kind: "format_field", tool: "*", field: "due_date", format })),
  { kind: "route_above", tool: "issue_refund", quantity: "amount", above: 100, instead: "request_manager_approval" },
  { kind: "route_above", tool: "*", quantity: "amount", above: 12.5, instead: "request_manager_approval" },
  { kind: "route_above", tool: "issue_store_credit", quantity: "amount", above: 50, instead: "request_manager_approval" },
  { kind: "route_above", tool: "issue_refund", quantity: "days_since_delivery", above: 14, instead: "deny_refund" },
  { kind: "route_above", tool: "*", quantity: "days_since_delivery", above: 30, instead: "deny_refund" },
  ...DateFormatSchema.options.map((value): Directive => ({ kind: "preference", aspect: "date_format", value })),
  ...DistanceUnitSchema.options.map((value): Directive => ({ kind: "preference", aspect: "units", value })),
  ...GreetingSchema.options.map((value): Directive => ({ kind: "preference", aspect: "greeting", value })),
  { kind: "preference", aspect: "confirm_above", value: 200 },
  { kind: "preference", aspect: "confirm_above", value: 99.5 },
];
