// An integrator's client made from the gateway's /openapi.json alone
// (swagger-client builds one call per operationId): book a place on a
// session, read the booking back with its manage token, cancel it.
// Prints each step; exits 1 at the first that fails.
//   node book_with_generated_client.mjs http://127.0.0.1:8080 courses/c/sessions/s
import { randomUUID } from "node:crypto";
import SwaggerClient from "swagger-client";

const [base, session] = process.argv.slice(2);

function check(step, response, expected) {
  console.log(`${step}: ${response.status}`);
  if (response.status !== expected) {
    console.error(`${step}: expected ${expected}: ${response.text}`);
    process.exit(1);
  }
  return response.body;
}

try {
  const client = await SwaggerClient({ url: `${base}/openapi.json` });
  const [course, sessionId] = session.split("/").filter((_, i) => i % 2 === 1);

  const booked = check("CreateBooking", await client.execute({
    operationId: "CreateBooking",
    parameters: { "Idempotency-Key": randomUUID() },
    requestBody: {
      session,
      attendee: {
        displayName: "Generated Client",
        email: "generated.client@nhs.example",
        organisation: "Northshire NHS Trust",
        agencyType: "HEALTH",
        jobRole: "Health visitor",
        consentGiven: true,
      },
    },
  }), 200);
  console.log(`state: ${booked.state}`);
  const reference = booked.name.split("/")[1];
  const manage = { authorized: { manageToken: { value: booked.manageToken } } };

  const read = check("GetBooking", await client.execute({
    operationId: "GetBooking",
    parameters: { booking: reference },
    securities: manage,
  }), 200);
  if (read.session !== `courses/${course}/sessions/${sessionId}`) {
    throw new Error(`GetBooking gave another session: ${read.session}`);
  }

  const cancelled = check("CancelBooking", await client.execute({
    operationId: "CancelBooking",
    parameters: { booking: reference, "Idempotency-Key": randomUUID() },
    requestBody: {},
    securities: manage,
  }), 200);
  console.log(`state: ${cancelled.state}`);
} catch (error) {
  // swagger-client throws on 4xx/5xx with the response attached.
  const response = error.response;
  console.error(`failed: ${error.message}` +
                (response ? ` ${response.status} ${response.text}` : ""));
  process.exit(1);
}
