// A small WhatsApp bot as its README would have one write it with the npm
// package whatsapp-api-js: the library checks each webhook's signature,
// parses it and sends the replies. The behaviour suite judges what it does.
// Its Graph calls go to the mock: fetch swaps Meta's host for MOCK_BASE.
import http from "node:http";
import { WhatsAppAPI } from "whatsapp-api-js";
import { Text } from "whatsapp-api-js/messages";
import { Interactive, ActionButtons, Button, Body } from "whatsapp-api-js/messages";

const base = process.env.MOCK_BASE;
const wa = new WhatsAppAPI({
  token: process.env.TOKEN,
  appSecret: process.env.SECRET,
  v: "v21.0",
  ponyfill: { fetch: (url, init) => fetch(String(url).replace("https://graph.facebook.com", base), init) },
});

wa.on.message = async ({ message, reply, received }) => {
  await received();
  switch (message.type) {
    case "text":
      if (message.text.body.trim().toLowerCase() === "menu") {
        await reply(new Interactive(new ActionButtons(new Button("red", "Red"), new Button("blue", "Blue")), new Body("Pick a colour")));
      } else {
        await reply(new Text("Echo: " + message.text.body));
      }
      break;
    case "interactive": {
      const choice = message.interactive.button_reply ?? message.interactive.list_reply;
      await reply(new Text("You chose " + choice.title));
      break;
    }
    default:
      await reply(new Text("Thanks for the " + message.type));
  }
};

http
  .createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    try {
      await wa.post(JSON.parse(body || "{}"), body, req.headers["x-hub-signature-256"]);
      res.end();
    } catch (e) {
      // The library's errors carry the status to answer; anything else is a crash.
      res.statusCode = e.httpStatus ?? 500;
      res.end();
    }
  })
  .listen(0, "127.0.0.1", function () {
    console.log("LISTENING " + this.address().port);
  });
