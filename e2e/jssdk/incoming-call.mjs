// An ACS application, written against the official SDKs only, that takes
// calls as the ACS quickstart does: Event Grid delivers IncomingCall
// (read with @azure/eventgrid's EventGridDeserializer), the app answers it
// with answerCall, its callback gets CallConnected (read with the SDK's
// parseCallAutomationEvent), and it records the call by the serverCallId
// that CallConnected carries: unmixed WAV, the caller on channel 0, paused
// for 2 s, then hung up for everyone on a "hangup" line on stdin.
// RecordingFileStatusUpdated arrives through Event Grid too.
//
// Other called numbers: +18005550101 is rejected (busy), +18005550102
// redirected to +14255550123, +18005550103 answered only after the ring
// timeout (LATE_ANSWER_MS) to show the SDK's error, +18005550104 left
// ringing (its caller cancels).
//
// Usage: node incoming-call.mjs <sdkVersion>   (CALLREC_CONNECTION_STRING set)
// Prints JSON lines: {"url"} first, then one per step; "report" last.

import http from "node:http";
import { createInterface } from "node:readline";
import { EventGridDeserializer } from "@azure/eventgrid";
import { loadSDK, newClient } from "./sdk.mjs";

const version = process.argv[2];
const sdk = await loadSDK(version);
const client = newClient(sdk, process.env.CALLREC_CONNECTION_STRING);
const deserializer = new EventGridDeserializer();
const lateAnswerMs = Number(process.env.LATE_ANSWER_MS ?? "3000");
const out = (o) => console.log(JSON.stringify(o));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const errorOf = (e) => ({ status: e.statusCode, code: e.code, message: e.message });

const report = { sdkVersion: version, events: [], steps: [] };
let base = "";
let connected = null; // resolves with the CallConnected event
const connectedP = new Promise((r) => (connected = r));
let disconnected = null;
const disconnectedP = new Promise((r) => (disconnected = r));
let fileStatus = null;
const fileStatusP = new Promise((r) => (fileStatus = r));

async function onIncomingCall(data) {
  // @azure/eventgrid's models name them toCommunicationIdentifier and
  // fromCommunicationIdentifier; 5.12.0's deserializer leaves this event's
  // data as sent (to, from). Read either.
  const toId = data.toCommunicationIdentifier ?? data.to;
  const fromId = data.fromCommunicationIdentifier ?? data.from;
  const to = toId?.rawId;
  const ctx = data.incomingCallContext;
  report.events.push({ type: "IncomingCall", to, from: fromId?.rawId,
    serverCallId: data.serverCallId, callerDisplayName: data.callerDisplayName,
    sipHeaders: data.customContext?.sipHeaders, correlationId: data.correlationId });
  try {
    switch (to) {
      case "4:+18005550101":
        await client.rejectCall(ctx, { callRejectReason: "busy" });
        out({ step: "rejected", to });
        return;
      case "4:+18005550102":
        await client.redirectCall(ctx, { targetParticipant: { phoneNumber: "+14255550123" } });
        out({ step: "redirected", to });
        return;
      case "4:+18005550104": // the caller will cancel
        out({ step: "ignored", to });
        return;
      case "4:+18005550103":
        await sleep(lateAnswerMs);
        try {
          await client.answerCall(ctx, base + "/callback");
          out({ step: "lateAnswer", to, error: null });
        } catch (e) {
          out({ step: "lateAnswer", to, error: errorOf(e) });
        }
        return;
    }
    const res = await client.answerCall(ctx, base + "/callback", { operationContext: "op-answer" });
    const p = res.callConnectionProperties;
    out({ step: "answered", to, callConnectionId: p.callConnectionId, serverCallId: p.serverCallId,
      state: p.callConnectionState });
  } catch (e) {
    out({ step: "error", to, error: errorOf(e) });
  }
}

const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", async () => {
    try {
      if (req.url.startsWith("/eventgrid")) {
        const events = await deserializer.deserializeEventGridEvents(body);
        for (const ev of events) {
          if (ev.eventType === "Microsoft.EventGrid.SubscriptionValidationEvent") {
            res.writeHead(200, { "Content-Type": "application/json" });
            res.end(JSON.stringify({ validationResponse: ev.data.validationCode }));
            return;
          }
          if (ev.eventType === "Microsoft.Communication.IncomingCall") onIncomingCall(ev.data);
          if (ev.eventType === "Microsoft.Communication.RecordingFileStatusUpdated") fileStatus(ev);
        }
      } else if (req.url.startsWith("/callback")) {
        const ev = sdk.parseCallAutomationEvent(body);
        report.events.push({ type: ev.kind, callConnectionId: ev.callConnectionId, serverCallId: ev.serverCallId,
          operationContext: ev.operationContext, subCode: ev.resultInformation?.subCode,
          participants: ev.participants?.map((p) => p.identifier.rawId ?? p.identifier.phoneNumber) });
        if (ev.kind === "CallConnected") connected(ev);
        if (ev.kind === "CallDisconnected") disconnected(ev);
      }
      res.writeHead(200);
      res.end();
    } catch (e) {
      res.writeHead(400);
      res.end(String(e));
      out({ step: "error", error: String(e) });
    }
  });
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
base = `http://127.0.0.1:${server.address().port}`;
out({ url: base });

const lines = createInterface({ input: process.stdin });
const commands = lines[Symbol.asyncIterator]();

const cc = await connectedP;
out({ step: "connected", callConnectionId: cc.callConnectionId, serverCallId: cc.serverCallId });
const conn = client.getCallConnection(cc.callConnectionId);
const props = await conn.getCallConnectionProperties();
const participants = await conn.listParticipants();
report.properties = { state: props.callConnectionState, serverCallId: props.serverCallId };
report.participants = participants.values.map((p) => p.identifier.rawId ?? p.identifier.phoneNumber);
const recording = client.getCallRecording();
const started = await recording.start({
  callLocator: { id: cc.serverCallId, kind: "serverCallLocator" },
  recordingContent: "audio",
  recordingChannel: "unmixed",
  recordingFormat: "wav",
  channelAffinity: [{ channel: 0, targetParticipant: { phoneNumber: "+14255550100" } }],
});
out({ step: "recording", recordingId: started.recordingId });
await sleep(1500);
await recording.pause(started.recordingId);
out({ step: "paused", at: Date.now() });
await sleep(2000);
await recording.resume(started.recordingId);
out({ step: "resumed", at: Date.now() });
for (;;) {
  const { value, done } = await commands.next();
  if (done || value.trim() === "hangup") break;
}
await conn.hangUp(true);
out({ step: "hungUp" });
const dis = await disconnectedP;
const fs = await fileStatusP;
report.recordingId = started.recordingId;
report.fileStatus = { recordingId: fs.data.recordingId, serverCallId: fs.data.serverCallId,
  chunks: fs.data.recordingStorageInfo.recordingChunks.length, endReason: fs.data.sessionEndReason };
report.disconnected = { subCode: dis.resultInformation?.subCode };
out({ step: "report", report });
server.close();
process.exit(0);
