import { cantFinish, notUnderstood, type PlanContext, type SimPlanner } from "../sim/planner.js";
import { readBusinessRequest } from "./business-docs.js";
import { eur } from "./world-kit.js";

/**
 * How the simulated agent works a business task (api-drift, poisoned-feedback)
 * from the documented API: look the customer up, create, send. Lessons change
 * its calls only through `context.exec`.
 */
export const businessPlanner: SimPlanner = (context: PlanContext): string => {
  const request = readBusinessRequest(context.task.request);
  if (request === undefined) return notUnderstood;
  const { exec, slip } = context;
  switch (request.kind) {
    case "invoice": {
      const customer = exec("get_customer", { customer_id: request.customerId });
      if (!customer.ok) return cantFinish(customer);
      const email = String(customer.data["email"]);
      const invoice = exec("create_invoice", {
        customer_id: request.customerId,
        order_id: request.orderId,
        amount: slip(request.amount),
        due_date: request.dueDate,
      });
      if (!invoice.ok) return cantFinish(invoice);
      const sent = exec("send_invoice", { invoice_id: String(invoice.data["invoice_id"]), email });
      if (!sent.ok) return cantFinish(sent);
      return `Invoice ${String(invoice.data["invoice_id"])} of ${eur(request.amount)} EUR for order ${request.orderId} was sent to ${email}.`;
    }
    case "shipment": {
      const args: Record<string, unknown> = { order_id: request.orderId, weight: slip(request.weightKg), ship_date: request.shipDate };
      if (request.service === "express") args["service"] = "express";
      const shipped = exec("ship_order", args);
      if (!shipped.ok) return cantFinish(shipped);
      return `Order ${request.orderId} ships on ${request.shipDate} (${String(shipped.data["shipment_id"])}).`;
    }
    case "order": {
      const customer = exec("get_customer", { customer_id: request.customerId });
      if (!customer.ok) return cantFinish(customer);
      const order = exec("create_order", {
        customer_id: request.customerId,
        sku: request.sku,
        quantity: slip(request.quantity),
        unit_price: request.unitPrice,
      });
      if (!order.ok) return cantFinish(order);
      return `Order ${String(order.data["order_id"])} for ${request.quantity} x ${request.sku} is placed.`;
    }
    case "credit-note": {
      const note = exec("create_credit_note", { invoice_id: request.invoiceId, amount: slip(request.amount) });
      if (!note.ok) return cantFinish(note);
      return `Credit note ${String(note.data["credit_note_id"])} of ${eur(request.amount)} EUR issued on ${request.invoiceId}.`;
    }
    case "customer-lookup": {
      const found = context.lookupMany("get_customer", "customer_id", request.customerIds);
      if (!found.ok) return cantFinish(found.failed);
      const lines = found.records.map((record) => `${String(record["id"])}: ${String(record["email"])}`);
      // A slip here forgets the last customer.
      return (context.mistake ? lines.slice(0, -1) : lines).join("\n");
    }
  }
};
