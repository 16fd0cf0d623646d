// Webhooks as an app using @mux/mux-node receives them: reads JSON lines of
// {"body": <raw request body>, "signature": <Mux-Signature header>} on stdin and checks each
// with mux.webhooks.unwrap and MUX_WEBHOOK_SECRET. Prints the unwrapped event types as JSON;
// exits non-zero when any signature is refused.
import Mux from "@mux/mux-node";

const mux = new Mux({ tokenId: "unused", tokenSecret: "unused" });
let input = "";
for await (const chunk of process.stdin) input += chunk;
const types = [];
for (const line of input.split("\n").filter(Boolean)) {
  const { body, signature } = JSON.parse(line);
  const event = await mux.webhooks.unwrap(body, { "mux-signature": signature });
  types.push(event.type);
}
console.log(JSON.stringify(types));
