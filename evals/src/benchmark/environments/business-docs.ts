import { eur, readRequest, type RequestPattern } from "./world-kit.js";
import type { ToolSpec } from "./world.js";

/**
 * What the business worlds (api-drift, poisoned-feedback) tell their agent:
 * the documented API and the wording of their requests. Nothing here changes
 * when the API drifts.
 */

/** The documented API: what the agent knows. */
export const BUSINESS_TOOLS: readonly ToolSpec[] = [
  {
    name: "get_customer",
    description: "Look up one customer: id, name, email, country.",
    parameters: { customer_id: "string, customer id, e.g. C-104" },
    required: ["customer_id"],
  },
  {
    name: "get_customers",
    description: "Look up several customers in one call.",
    parameters: { customer_ids: "string[], customer ids" },
    required: ["customer_ids"],
  },
  {
    name: "create_order",
    description: "Create an order for a customer; returns the order id.",
    parameters: {
      customer_id: "string, customer id",
      sku: "string, article number, e.g. LAMP-01",
      quantity: "number, items (whole number)",
      unit_price: "number, price per item in EUR, e.g. 19.90",
      validate_address: "boolean, optional (default true): validate the customer's shipping address",
    },
    required: ["customer_id", "sku", "quantity", "unit_price"],
  },
  {
    name: "create_invoice",
    description: "Create an invoice for an order; returns the invoice id.",
    parameters: {
      customer_id: "string, customer id",
      order_id: "string, order id, e.g. O-2231",
      amount: "number, invoice total in EUR, e.g. 12.50",
      due_date: "string, due date as YYYY-MM-DD",
    },
    required: ["customer_id", "order_id", "amount", "due_date"],
  },
  {
    name: "send_invoice",
    description: "Email an invoice.",
    parameters: { invoice_id: "string, invoice id", email: "string, recipient address", cc: "string, optional copy address" },
    required: ["invoice_id", "email"],
  },
  {
    name: "ship_order",
    description: "Book the shipment of an order; returns the shipment id.",
    parameters: {
      order_id: "string, order id",
      weight: "number, parcel weight in kg, e.g. 3.2",
      ship_date: "string, shipping date as YYYY-MM-DD",
      service: 'string, optional: "standard" (default) or "express"',
    },
    required: ["order_id", "weight", "ship_date"],
  },
  {
    name: "create_credit_note",
    description: "Credit an amount on an existing invoice.",
    parameters: { invoice_id: "string, invoice id, e.g. INV-2045", amount: "number, credit in EUR, e.g. 5.00" },
    required: ["invoice_id", "amount"],
  },
];

/** A task's request, read back: what the user asked for. */
export type BusinessRequest =
  | { kind: "invoice"; customerId: string; orderId: string; amount: number; dueDate: string }
  | { kind: "shipment"; orderId: string; weightKg: number; shipDate: string; service: "standard" | "express" }
  | { kind: "order"; customerId: string; sku: string; quantity: number; unitPrice: number }
  | { kind: "credit-note"; invoiceId: string; amount: number }
  | { kind: "customer-lookup"; customerIds: string[] };

const REQUEST_PATTERNS: readonly RequestPattern<BusinessRequest>[] = [
  {
    regex: /^Invoice customer (C-\d+) for order (O-\d+): (\d+\.\d{2}) EUR, due (\d{4}-\d{2}-\d{2})\. Email the invoice to the customer\.$/,
    read: (m) => ({ kind: "invoice", customerId: m[1] as string, orderId: m[2] as string, amount: Number(m[3]), dueDate: m[4] as string }),
  },
  {
    regex: /^Ship order (O-\d+) \((\d+(?:\.\d+)?) kg\) on (\d{4}-\d{2}-\d{2}) with (standard|express) service\.$/,
    read: (m) => ({ kind: "shipment", orderId: m[1] as string, weightKg: Number(m[2]), shipDate: m[3] as string, service: m[4] === "express" ? "express" : "standard" }),
  },
  {
    regex: /^Order (\d+) x ([A-Z]+-\d+) for customer (C-\d+) at (\d+\.\d{2}) EUR each\.$/,
    read: (m) => ({ kind: "order", quantity: Number(m[1]), sku: m[2] as string, customerId: m[3] as string, unitPrice: Number(m[4]) }),
  },
  {
    regex: /^Issue a credit note of (\d+\.\d{2}) EUR on invoice (INV-\d+)\.$/,
    read: (m) => ({ kind: "credit-note", amount: Number(m[1]), invoiceId: m[2] as string }),
  },
  {
    regex: /^What are the email addresses of customers ((?:C-\d+, )*C-\d+ and C-\d+)\?$/,
    read: (m) => ({ kind: "customer-lookup", customerIds: (m[1] as string).split(/, | and /) }),
  },
];

/**
 * Reads a request of the business worlds; `undefined` when it is not one. A
 * note its sender added after a blank line is not part of the request.
 */
export function readBusinessRequest(request: string): BusinessRequest | undefined {
  return readRequest(REQUEST_PATTERNS, request.split(/\n\s*\n/)[0] ?? request);
}

/** Writes a request of the business worlds, as a user asks it. */
export function writeBusinessRequest(request: BusinessRequest): string {
  switch (request.kind) {
    case "invoice":
      return `Invoice customer ${request.customerId} for order ${request.orderId}: ${eur(request.amount)} EUR, due ${request.dueDate}. Email the invoice to the customer.`;
    case "shipment":
      return `Ship order ${request.orderId} (${request.weightKg} kg) on ${request.shipDate} with ${request.service} service.`;
    case "order":
      return `Order ${request.quantity} x ${request.sku} for customer ${request.customerId} at ${eur(request.unitPrice)} EUR each.`;
    case "credit-note":
      return `Issue a credit note of ${eur(request.amount)} EUR on invoice ${request.invoiceId}.`;
    case "customer-lookup": {
      const ids = request.customerIds;
      return `What are the email addresses of customers ${ids.slice(0, -1).join(", ")} and ${ids.at(-1) ?? ""}?`;
    }
  }
}
