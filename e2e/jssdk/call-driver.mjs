// An ACS application, written against the official Call Automation SDK
// only, that a test drives one operation at a time: placing calls
// (createCall), adding participants (addParticipant), listing them
// (listParticipants) and hanging up, and that reads its callback's events
// with the SDK's parseCallAutomationEvent.
//
// Usage: node call-driver.mjs <sdkVersion>   (CALLREC_CONNECTION_STRING set)
// Reads JSON lines on stdin, one operation each:
//   {"op":"createCall","target":"sip:…"|"+1…","source":"+1…"}
//   {"op":"addParticipant","conn":"<callConnectionId>","target":…,"context":"…"}
//   {"op":"listParticipants","conn":…}
//   {"op":"hangUp","conn":…,"forEveryone":true}
// and prints JSON lines: {"url"} first (its callback base), then
// {"op",…result} or {"op","error":{status,code,message}} for each
// operation, and {"event":<kind>,…} for each callback event.

import http from "node:http";
import { createInterface } from "node:readline";
import { loadSDK, newClient } from "./sdk.mjs";

const version = process.argv[2];
const sdk = await loadSDK(version);
const client = newClient(sdk, process.env.CALLREC_CONNECTION_STRING);
const out = (o) => console.log(JSON.stringify(o));
const errorOf = (e) => ({ status: e.statusCode, code: e.code, message: e.message });

// rawIdOf returns an identifier's rawId as the SDK deserialized it
// (unknown identifiers, such as SIP URIs, keep it as id).
const rawIdOf = (id) => id?.rawId ?? id?.id ?? (id?.phoneNumber ? "4:" + id.phoneNumber : id?.communicationUserId);

// identifier turns a target string into an SDK identifier: a phone number
// (+…) or anything else as an unknown identifier (a SIP URI).
const identifier = (s) => (s.startsWith("+") ? { phoneNumber: s } : { id: s });

const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    try {
      const ev = sdk.parseCallAutomationEvent(body);
      out({ event: ev.kind, path: req.url, callConnectionId: ev.callConnectionId, serverCallId: ev.serverCallId,
        operationContext: ev.operationContext, invitationId: ev.invitationId,
        participant: ev.participant ? rawIdOf(ev.participant) : undefined,
        participants: ev.participants?.map((p) => rawIdOf(p.identifier)),
        sequenceNumber: ev.sequenceNumber,
        code: ev.resultInformation?.code, subCode: ev.resultInformation?.subCode });
      res.writeHead(200);
      res.end();
    } catch (e) {
      res.writeHead(400);
      res.end(String(e));
      out({ event: "error", error: String(e) });
    }
  });
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;
out({ url: base });

async function run(cmd) {
  switch (cmd.op) {
    case "createCall": {
      const invite = { targetParticipant: identifier(cmd.target) };
      if (cmd.source) invite.sourceCallIdNumber = { phoneNumber: cmd.source };
      const res = await client.createCall(invite, base + "/callback", { operationContext: cmd.context });
      const p = res.callConnectionProperties;
      return { callConnectionId: p.callConnectionId, serverCallId: p.serverCallId, state: p.callConnectionState };
    }
    case "addParticipant": {
      const invite = { targetParticipant: identifier(cmd.target) };
      if (cmd.source) invite.sourceCallIdNumber = { phoneNumber: cmd.source };
      const res = await client.getCallConnection(cmd.conn).addParticipant(invite, { operationContext: cmd.context });
      return { invitationId: res.invitationId, participant: rawIdOf(res.participant?.identifier),
        operationContext: res.operationContext };
    }
    case "listParticipants": {
      const res = await client.getCallConnection(cmd.conn).listParticipants();
      return { participants: res.values.map((p) => rawIdOf(p.identifier)) };
    }
    case "hangUp":
      await client.getCallConnection(cmd.conn).hangUp(Boolean(cmd.forEveryone));
      return {};
    default:
      throw new Error(`unknown op ${JSON.stringify(cmd.op)}`);
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  try {
    out({ op: cmd.op, ...(await run(cmd)) });
  } catch (e) {
    out({ op: cmd.op, error: errorOf(e) });
  }
}
server.close();
