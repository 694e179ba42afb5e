import type { Environment } from "./environment.js";
import { createBusinessWorld, type BusinessDrift } from "./business-api.js";

/** The drift schedule of api-drift, for a stream of 120 tasks. */
export const API_DRIFTS: readonly BusinessDrift[] = [
  {
    at: 15,
    change: 'create_order requires a new parameter "currency" (400 missing required parameter)',
    kinds: ["order"],
    rules: { currencyRequired: true },
  },
  {
    at: 35,
    change: 'create_invoice renames "amount" (EUR) to "amount_minor" in cents (422 unknown field, with a hint)',
    kinds: ["invoice"],
    rules: { invoiceMinorUnits: true },
  },
  {
    at: 55,
    change: "ship_order reads the weight in grams instead of kg (silent: only the end-of-task check shows it)",
    kinds: ["shipment"],
    rules: { weightGrams: true },
  },
  {
    at: 75,
    change: "send_invoice is retired in favour of deliver_invoice (410 Gone)",
    kinds: ["invoice"],
    rules: { sendInvoiceRetired: true },
  },
  {
    at: 90,
    change: 'ship_order reads "ship_date" as DD.MM.YYYY (vague 400 Bad Request)',
    kinds: ["shipment"],
    rules: { shipDateFormat: "DD.MM.YYYY" },
  },
  {
    at: 105,
    change: "get_customer is rate-limited to 2 calls per task (429; get_customers batches)",
    kinds: ["customer-lookup"],
    rules: { customerCallLimit: 2 },
  },
];

/**
 * api-drift: a small business API (orders, customers, invoices, shipping,
 * credit notes) that changes as real APIs do — a new required parameter, a
 * renamed field with a new unit, a silent unit change, a retired endpoint, a
 * new date format behind a vague error, a rate limit. A task passes when the
 * resulting state is right, not when the calls merely succeed.
 */
export function createApiDriftEnvironment(): Environment {
  return createBusinessWorld({
    name: "api-drift",
    description:
      "A business API (orders, customers, invoices, shipping, credit notes) that drifts six times: new required parameter, renamed field in minor units, silent weight unit change, retired endpoint, new date format with a vague error, rate limit.",
    tenant: "acme",
    users: ["ops-anna", "ops-ben", "ops-carla"],
    drifts: API_DRIFTS,
    mix: { invoice: 0.26, shipment: 0.22, order: 0.2, "credit-note": 0.12, "customer-lookup": 0.2 },
    defaultTaskCount: 120,
    expressRate: 0.2,
  });
}
