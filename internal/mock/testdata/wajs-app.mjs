// A WhatsApp app written with whatsapp-api-js (an outside reading of the
// Cloud API): its Graph calls go to the mock through a fetch that swaps
// the host, its webhooks are checked and parsed by the library.
import http from "node:http";
import { WhatsAppAPI } from "whatsapp-api-js";
import { Text } from "whatsapp-api-js/messages";

const base = process.env.MOCK_BASE;
const wa = new WhatsAppAPI({
  token: process.env.TOKEN,
  appSecret: process.env.SECRET,
  webhookVerifyToken: "verify-me",
  v: "v21.0",
  ponyfill: { fetch: (url, init) => fetch(String(url).replace("https://graph.facebook.com", base), init) },
});

wa.on.message = async ({ message, reply, received }) => {
  if (message.type !== "text") return;
  const r = await reply(new Text("echo: " + message.text.body));
  console.log("REPLY " + JSON.stringify(r));
  const read = await received();
  console.log("READ " + JSON.stringify(read));
};
wa.on.status = ({ status, id, pricing }) => {
  console.log("STATUS " + status + " " + id + " " + (pricing ? pricing.type : "-"));
};

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, "http://app");
    if (req.method === "GET") {
      try {
        res.end(wa.get(Object.fromEntries(url.searchParams)));
      } catch (e) {
        res.statusCode = 403;
        res.end();
      }
      return;
    }
    let body = "";
    for await (const chunk of req) body += chunk;
    try {
      await wa.post(JSON.parse(body), body, req.headers["x-hub-signature-256"]);
      res.end();
    } catch (e) {
      console.log("ERROR " + e);
      res.statusCode = 500;
      res.end();
    }
  })
  .listen(0, "127.0.0.1", function () {
    console.log("LISTENING " + this.address().port);
  });
