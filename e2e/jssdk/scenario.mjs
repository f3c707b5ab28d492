// Acceptance scenario: drives a callrec server with the official ACS Call
// Automation JS SDK, unmodified, and asserts what the SDK hands back.
//
// Usage:
//   CALLREC_CONNECTION_STRING='endpoint=http://127.0.0.1:PORT/;accesskey=KEY' \
//   CALLBACK_URL=http://127.0.0.1:PORT2/callbacks \
//   node scenario.mjs <sdkVersion 1.6.0|1.5.1> <serverCallId>
//
// SDK_VERSION and SERVER_CALL_ID may be given as env instead of arguments.
// Over https, trust the server's CA with NODE_EXTRA_CA_CERTS=DATA/tls/ca.pem.
// On success it prints one JSON object (the report) on stdout and exits 0; any
// failed expectation exits 1 with the reason on stderr.

import assert from "node:assert/strict";
import { loadSDK, newClient } from "./sdk.mjs";
import { expectRestError } from "./resterror.mjs";

const sdkVersion = process.argv[2] ?? process.env.SDK_VERSION;
const serverCallId = process.argv[3] ?? process.env.SERVER_CALL_ID;
const connectionString = process.env.CALLREC_CONNECTION_STRING;
const callbackUrl = process.env.CALLBACK_URL;
if (!sdkVersion || !serverCallId || !connectionString || !callbackUrl) {
  console.error(
    "usage: CALLREC_CONNECTION_STRING=… CALLBACK_URL=… node scenario.mjs <sdkVersion> <serverCallId>",
  );
  process.exit(2);
}

// Participants of every identifier kind the recording API takes.
const acsUser = { communicationUserId: "8:acs:5e4b1e1e-0000-4000-8000-000000000001_00000000-0000-0000-0000-000000000001" };
const phone = { phoneNumber: "+14255550123" };
const teamsUser = { microsoftTeamsUserId: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", cloud: "public" };

const report = { sdkVersion, serverCallId, steps: [], errors: [], recordingIds: [] };
const log = (msg) => console.error(`[scenario ${sdkVersion}] ${msg}`);

function step(name, value) {
  report.steps.push({ name, ...value });
  log(`${name}: ${JSON.stringify(value)}`);
}

function checkState(got, recordingId, state, what) {
  assert.equal(got.recordingId, recordingId, `${what}: recordingId`);
  assert.equal(got.recordingState, state, `${what}: recordingState`);
  assert.ok(got.recordingKind, `${what}: recordingKind must be set`);
}

async function main() {
  const sdk = await loadSDK(sdkVersion);
  const recording = newClient(sdk, connectionString).getCallRecording();

  // 1. Start with every start option: unmixed WAV audio, ordering over all
  //    identifier kinds, affinity for two of them, paused on start, callrec's
  //    own (ACS-managed) storage, a state callback.
  const started = await recording.start({
    callLocator: { id: serverCallId, kind: "serverCallLocator" },
    recordingStateCallbackEndpointUrl: callbackUrl,
    recordingContent: "audio",
    recordingChannel: "unmixed",
    recordingFormat: "wav",
    audioChannelParticipantOrdering: [acsUser, phone, teamsUser],
    channelAffinity: [
      { channel: 0, targetParticipant: acsUser },
      { channel: 1, targetParticipant: phone },
    ],
    pauseOnStart: true,
    recordingStorage: { recordingStorageKind: "azureCommunicationServices" },
  });
  step("start unmixed wav pauseOnStart", started);
  assert.ok(started.recordingId, "start: recordingId must be set");
  assert.match(started.recordingId, /^[A-Za-z0-9+/]+={0,2}$/, "start: recordingId should be standard base64 like ACS's");
  assert.ok(["active", "inactive"].includes(started.recordingState), "start: recordingState");
  assert.ok(started.recordingKind, "start: recordingKind");
  const id = started.recordingId;
  report.recordingIds.push(id);

  checkState(await recording.getState(id), id, "inactive", "getState after pauseOnStart");
  step("getState", { recordingState: "inactive" });

  await recording.resume(id);
  checkState(await recording.getState(id), id, "active", "getState after resume");
  step("resume; getState", { recordingState: "active" });

  await recording.pause(id);
  checkState(await recording.getState(id), id, "inactive", "getState after pause");
  step("pause; getState", { recordingState: "inactive" });

  await recording.resume(id);
  checkState(await recording.getState(id), id, "active", "getState after second resume");
  step("resume; getState", { recordingState: "active" });

  await recording.stop(id);
  step("stop", { recordingId: id });

  // 2. Errors: the SDK must surface the server's code and message.
  report.errors.push(
    await expectRestError("getState after stop", 404, () => recording.getState(id)),
  );
  report.errors.push(
    await expectRestError("pause after stop", 404, () => recording.pause(id)),
  );
  const channel5 = await expectRestError("start with channel 5", 400, () =>
    recording.start({
      callLocator: { id: serverCallId, kind: "serverCallLocator" },
      recordingContent: "audio",
      recordingChannel: "unmixed",
      recordingFormat: "wav",
      channelAffinity: [{ channel: 5, targetParticipant: acsUser }],
    }),
  );
  assert.match(channel5.message, /channel/i, "channel 5: the message should name the field");
  report.errors.push(channel5);
  const unmixedMp3 = await expectRestError("start unmixed mp3", 400, () =>
    recording.start({
      callLocator: { id: serverCallId, kind: "serverCallLocator" },
      recordingContent: "audio",
      recordingChannel: "unmixed",
      recordingFormat: "mp3",
    }),
  );
  assert.match(unmixedMp3.message, /format|unmixed|channel/i, "unmixed mp3: the message should name the field");
  report.errors.push(unmixedMp3);
  report.errors.push(
    await expectRestError("start on an unknown call", 404, () =>
      recording.start({ callLocator: { id: `no-such-call-${Date.now()}`, kind: "serverCallLocator" } }),
    ),
  );

  // 3. A second start on the same call, named by a groupCallLocator this
  //    time: mixed audio, explicitly not paused.
  const mixed = await recording.start({
    callLocator: { id: serverCallId, kind: "groupCallLocator" },
    recordingStateCallbackEndpointUrl: callbackUrl,
    recordingContent: "audio",
    recordingChannel: "mixed",
    recordingFormat: "wav",
    pauseOnStart: false,
  });
  step("start mixed wav by groupCallLocator", mixed);
  assert.ok(mixed.recordingId, "second start: recordingId");
  assert.notEqual(mixed.recordingId, id, "second start: a new recording");
  report.recordingIds.push(mixed.recordingId);
  checkState(await recording.getState(mixed.recordingId), mixed.recordingId, "active", "getState of the mixed recording");
  await recording.stop(mixed.recordingId);
  step("stop mixed", { recordingId: mixed.recordingId });

  // 4. A client with the wrong access key is refused, and says why.
  const wrongKey = connectionString.replace(/accesskey=.*/i, `accesskey=${Buffer.alloc(32, 7).toString("base64")}`);
  const intruder = newClient(sdk, wrongKey).getCallRecording();
  report.errors.push(await expectRestError("wrong access key", 401, () => intruder.getState(id)));

  console.log(JSON.stringify(report));
}

main().catch((err) => {
  console.error(`[scenario ${sdkVersion}] FAILED: ${err?.stack ?? err}`);
  if (err?.response?.bodyAsText !== undefined) {
    console.error(`  HTTP ${err.statusCode} ${err.request?.method} ${err.request?.url}\n  body: ${err.response.bodyAsText}`);
  }
  process.exit(1);
});
