// Feeds a callback body that callrec POSTed (a JSON array of CloudEvents) to
// the official SDK's event parser, as an application's webhook handler would.
//
// Usage: node parse-event.mjs <sdkVersion> < body.json
// Prints {kind, recordingId, state, startDateTime, serverCallId} on stdout.

import { readFileSync } from "node:fs";
import { loadSDK } from "./sdk.mjs";

const sdkVersion = process.argv[2] ?? process.env.SDK_VERSION;
if (!sdkVersion) {
  console.error("usage: node parse-event.mjs <sdkVersion> < body.json");
  process.exit(2);
}

try {
  const sdk = await loadSDK(sdkVersion);
  const body = readFileSync(0, "utf8");
  // The parser accepts the raw string, as it arrives in an HTTP handler.
  const event = sdk.parseCallAutomationEvent(body);
  const startDateTime =
    event.startDateTime instanceof Date ? event.startDateTime.toISOString() : event.startDateTime;
  console.log(
    JSON.stringify({
      kind: event.kind,
      recordingId: event.recordingId,
      state: event.state,
      startDateTime,
      serverCallId: event.serverCallId,
    }),
  );
} catch (err) {
  console.error(`parse-event ${sdkVersion} FAILED: ${err?.stack ?? err}`);
  process.exit(1);
}
