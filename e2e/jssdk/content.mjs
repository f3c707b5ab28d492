// Content acceptance: downloads and deletes a finished recording's files
// through the official SDK, given the URLs callrec published for one chunk.
//
// Usage:
//   CALLREC_CONNECTION_STRING=… CONTENT_URL=… METADATA_URL=… DELETE_URL=… OUT_DIR=… \
//   [ROUTE_TO=127.0.0.1:PORT] node content.mjs <sdkVersion>
//
// Without ROUTE_TO: 1.5.1 has no content-host allow-list: over https
// (NODE_EXTRA_CA_CERTS for callrec's CA) it downloads the audio to a file,
// the metadata as a stream, a byte range and the whole file from offset 0,
// deletes the chunk (the SDK accepts only 200) and then must see the
// server's {status, message} error on a second download. 1.6.0 must refuse a
// callrec URL on 127.0.0.1 before sending anything (its allow-list admits
// only Microsoft hosts).
// With ROUTE_TO: callrec runs under an allow-listed name
// (--public-url https://callrec-test.asm.skype.com:PORT) and the client gets
// the httpClient option of loopback-http-client.mjs, which opens every
// socket to ROUTE_TO and leaves URL, Host, SNI, path, query and headers as
// the SDK made them; then 1.6.0 does the same downloads and delete as 1.5.1.
// The downloaded audio is left in OUT_DIR/audio-<version>.wav for the Go
// test to parse. Prints one JSON report on stdout.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loopbackHttpClient } from "./loopback-http-client.mjs";
import { endpointOf, loadSDK, newClient } from "./sdk.mjs";

const sdkVersion = process.argv[2] ?? process.env.SDK_VERSION;
const { CALLREC_CONNECTION_STRING, CONTENT_URL, METADATA_URL, DELETE_URL, OUT_DIR, ROUTE_TO } = process.env;
if (!sdkVersion || !CALLREC_CONNECTION_STRING || !CONTENT_URL || !METADATA_URL || !DELETE_URL || !OUT_DIR) {
  console.error("usage: CALLREC_CONNECTION_STRING=… CONTENT_URL=… METADATA_URL=… DELETE_URL=… OUT_DIR=… node content.mjs <sdkVersion>");
  process.exit(2);
}
const log = (msg) => console.error(`[content ${sdkVersion}] ${msg}`);
const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");

async function readAll(stream) {
  const parts = [];
  for await (const part of stream) {
    parts.push(Buffer.from(part));
  }
  return Buffer.concat(parts);
}

// contentError runs fn, which must throw the SDK's plain content error object
// {status, message} (content errors are not RestErrors).
async function contentError(name, fn) {
  let err;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `${name}: expected an error`);
  return err;
}

async function allowListed(recording) {
  const refusals = [];
  for (const [what, fn] of [
    ["downloadToPath", () => recording.downloadToPath(CONTENT_URL, join(OUT_DIR, "never.wav"))],
    ["downloadStreaming", () => recording.downloadStreaming(METADATA_URL)],
    ["delete", () => recording.delete(DELETE_URL)],
  ]) {
    const err = await contentError(what, fn);
    assert.match(String(err?.message), /sourceLocationUrl|recordingLocationUrl|HTTPS|valid Azure Communication Services/i,
      `${what}: expected the SDK's allow-list refusal, got ${err?.stack ?? JSON.stringify(err)}`);
    refusals.push({ call: what, message: err.message });
    log(`${what} refused by the SDK: ${err.message}`);
  }
  return { sdkVersion, allowListRefusals: refusals };
}

// offsetZeroQuirk asks for the first 8 bytes the only way the SDK's options
// allow: {offset: 0, length: 8}. Both versions treat offset 0 as missing
// (`!options.offset`) and throw before sending anything.
async function offsetZeroQuirk(recording, routed) {
  const before = routed?.sent.length;
  const err = await contentError("downloadStreaming {offset:0,length:8}",
    () => recording.downloadStreaming(CONTENT_URL, { offset: 0, length: 8 }));
  assert.match(String(err?.message), /offset value must not be empty/,
    `{offset:0,length:8}: expected the SDK's offset-0 refusal, got ${err?.stack ?? JSON.stringify(err)}`);
  if (routed) {
    assert.equal(routed.sent.length, before, "{offset:0,length:8}: the SDK sent a request after all");
  }
  log(`downloadStreaming {offset:0,length:8} refused by the SDK: ${err.message}`);
  return err.message;
}

async function downloadAndDelete(recording, routed) {
  const audioPath = join(OUT_DIR, `audio-${sdkVersion}.wav`);
  await recording.downloadToPath(CONTENT_URL, audioPath);
  const audio = readFileSync(audioPath);
  assert.equal(audio.subarray(0, 4).toString("latin1"), "RIFF", "downloaded audio is not a RIFF file");
  assert.equal(audio.subarray(8, 12).toString("latin1"), "WAVE", "downloaded audio is not WAVE");
  log(`downloadToPath: ${audio.length} bytes, sha256 ${sha256(audio)}`);

  const metadata = JSON.parse((await readAll(await recording.downloadStreaming(METADATA_URL))).toString("utf8"));
  log(`downloadStreaming metadata: ${JSON.stringify(metadata).slice(0, 200)}…`);

  // A range from byte 4 (the RIFF size field) for 8 bytes.
  const range = await readAll(await recording.downloadStreaming(CONTENT_URL, { offset: 4, length: 8 }));
  assert.deepEqual(range, audio.subarray(4, 12), "range download {offset:4,length:8} differs from the file's bytes 4..11");

  // {offset: 0} alone is allowed: 1.6.0 sends bytes=0-, 1.5.1 the malformed
  // bytes=0; either way the whole file must come back.
  const fromZero = await readAll(await recording.downloadStreaming(CONTENT_URL, { offset: 0 }));
  assert.deepEqual(fromZero, audio, "downloadStreaming {offset:0} differs from downloadToPath");
  const offsetZeroRefusal = await offsetZeroQuirk(recording, routed);

  await recording.delete(DELETE_URL);
  log("delete: done");
  const gone = await contentError("download after delete", () => recording.downloadToPath(CONTENT_URL, join(OUT_DIR, "gone.wav")));
  assert.equal(gone.status, 404, `download after delete: ${JSON.stringify(gone)}`);
  assert.ok(typeof gone.message === "string" && gone.message !== "", `download after delete: no message in ${JSON.stringify(gone)}`);
  log(`download after delete: ${JSON.stringify(gone)}`);

  return {
    sdkVersion,
    audioPath,
    audioBytes: audio.length,
    audioSha256: sha256(audio),
    metadata,
    rangeHex: range.toString("hex"),
    fromZeroSha256: sha256(fromZero),
    offsetZeroRefusal,
    afterDelete: { status: gone.status, message: gone.message },
    sent: routed?.sent,
    lookups: routed?.lookups,
  };
}

try {
  const sdk = await loadSDK(sdkVersion);
  let report;
  if (ROUTE_TO) {
    const routed = loopbackHttpClient(endpointOf(CALLREC_CONNECTION_STRING).origin, ROUTE_TO);
    const recording = newClient(sdk, CALLREC_CONNECTION_STRING, { httpClient: routed.httpClient }).getCallRecording();
    try {
      report = await downloadAndDelete(recording, routed);
    } finally {
      routed.close();
    }
  } else {
    const recording = newClient(sdk, CALLREC_CONNECTION_STRING).getCallRecording();
    report = sdkVersion === "1.6.0" ? await allowListed(recording) : await downloadAndDelete(recording);
  }
  console.log(JSON.stringify(report));
} catch (err) {
  console.error(`[content ${sdkVersion}] FAILED: ${err?.stack ?? JSON.stringify(err)}`);
  process.exit(1);
}
