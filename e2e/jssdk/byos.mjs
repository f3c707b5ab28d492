// Starts recordings with the official SDK's recordingStorage option (sent as
// ACS's externalStorage): one to an allowed container, one to a container
// the server does not allow. Prints {recordingId, refused} as JSON.
//
// env: CALLREC_CONNECTION_STRING, SERVER_CALL_ID, ALLOWED_URL, REFUSED_URL

import { loadSDK, newClient } from "./sdk.mjs";
import { expectRestError } from "./resterror.mjs";

const env = process.env;
const sdk = await loadSDK("1.6.0");
const recording = newClient(sdk, env.CALLREC_CONNECTION_STRING).getCallRecording();
const callLocator = { id: env.SERVER_CALL_ID, kind: "serverCallLocator" };

const started = await recording.start({
  callLocator,
  recordingContent: "audio",
  recordingChannel: "mixed",
  recordingFormat: "wav",
  recordingStorage: { recordingStorageKind: "azureBlobStorage", recordingDestinationContainerUrl: env.ALLOWED_URL },
});
const refused = await expectRestError("start to a container not allowed", 400, () =>
  recording.start({
    callLocator,
    recordingStorage: { recordingStorageKind: "azureBlobStorage", recordingDestinationContainerUrl: env.REFUSED_URL },
  }),
);
console.log(JSON.stringify({ recordingId: started.recordingId, refused }));
