// callrec join page: publish the microphone, and the camera when there is
// one, to /calls/{call}/whip (WHIP, RFC 9725) with the join token from the
// URL.
// Query: call=<serverCallId>&token=<join token>
//        [&autojoin=1] join without waiting for the button
//        [&raw=1]      turn off echo cancellation, noise suppression and
//                      gain control (level-accurate capture, as for tests)
//        [&video=0]    microphone only, even with a camera
//        [&name=…]     the display name to fill in (the recording's tile
//                      shows it; sent as the WHIP URL's name)
"use strict";

const params = new URLSearchParams(location.search);
const callId = params.get("call") || "";
const token = params.get("token") || "";
const $ = (id) => document.getElementById(id);

let pc = null;
let stream = null;
let sessionUrl = null;
let meterTimer = null;

// How often the page asks whether the call is being recorded.
const statusEveryMs = 2000;

function setState(state, text) {
  document.body.dataset.state = state;
  $("status").textContent = text;
}

// The token's payload is base64url JSON: {"c": call, "p": participant, "e": expiry}.
function tokenParticipant(t) {
  try {
    const body = t.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(body + "===".slice((body.length + 3) % 4))).p || "";
  } catch (e) {
    return "";
  }
}

function waitForGathering(pc, timeoutMs) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, timeoutMs);
  });
}

async function join() {
  $("join").disabled = true;
  setState("connecting", "Opening microphone and camera…");
  try {
    stream = await openDevices();
    pc = new RTCPeerConnection();
    for (const track of stream.getTracks()) {
      pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    }
    showPreview(stream);
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "connected") setState("connected", "Connected");
      if (pc.connectionState === "failed") setState("error", "Connection lost");
    });
    setState("connecting", "Connecting…");
    await pc.setLocalDescription(await pc.createOffer());
    await waitForGathering(pc, 3000);
    const name = $("name").value.trim();
    const whip = "/calls/" + encodeURIComponent(callId) + "/whip" + (name ? "?name=" + encodeURIComponent(name) : "");
    const resp = await fetch(whip, {
      method: "POST",
      headers: { "Content-Type": "application/sdp", "Authorization": "Bearer " + token },
      body: pc.localDescription.sdp,
    });
    const body = await resp.text();
    if (resp.status !== 201) {
      let message = body;
      try { message = JSON.parse(body).error.message; } catch (e) { /* not JSON */ }
      throw new Error(message || ("HTTP " + resp.status));
    }
    sessionUrl = new URL(resp.headers.get("Location"), location.href).href;
    await pc.setRemoteDescription({ type: "answer", sdp: body });
    $("leave").disabled = false;
    meterTimer = setInterval(updateMeter, 200);
    watchSession(sessionUrl);
  } catch (err) {
    setState("error", "Could not join: " + err.message);
    cleanup();
    $("join").disabled = false;
  }
}

// The camera is asked for at 640x360 and 15 fps: a tile of the recorded
// 1920x1080 grid at about its 16 fps (the server also caps its bitrate).
const camera = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15 } };

// openDevices opens the microphone and, when there is one and it may, the
// camera; without a camera (or its permission) the page joins with the
// microphone alone.
async function openDevices() {
  const raw = params.get("raw") === "1";
  const audio = raw ? { echoCancellation: false, noiseSuppression: false, autoGainControl: false } : true;
  if (params.get("video") !== "0") {
    try {
      return await navigator.mediaDevices.getUserMedia({ audio, video: camera });
    } catch (e) {
      if (e.name !== "NotFoundError" && e.name !== "NotAllowedError" && e.name !== "NotReadableError" &&
          e.name !== "OverconstrainedError") throw e;
      // no usable camera: the microphone alone
    }
  }
  return navigator.mediaDevices.getUserMedia({ audio });
}

function showPreview(s) {
  const video = $("preview");
  video.hidden = s.getVideoTracks().length === 0;
  video.srcObject = video.hidden ? null : s;
}

// watchSession follows the session with GET long polls (callrec's extension
// of WHIP): when the server ends it (the call ended, the same participant
// joined elsewhere), the page says so at once; WebRTC itself would only
// notice seconds later.
async function watchSession(url) {
  while (sessionUrl === url) {
    let state = null;
    try {
      const resp = await fetch(url, { headers: { "Authorization": "Bearer " + token }, cache: "no-store" });
      state = resp.status === 404 ? { state: "ended" } : resp.ok ? await resp.json() : null;
    } catch (e) {
      await new Promise((r) => setTimeout(r, 1000)); // the server is unreachable for now
      continue;
    }
    if (sessionUrl !== url) return; // left meanwhile
    if (state && state.state === "ended") {
      sessionUrl = null;
      cleanup();
      $("leave").disabled = true;
      $("join").disabled = state.reason === "CallEnded";
      if (state.reason === "CallEnded") setState("ended", "The call has ended");
      else if (state.reason === "ReplacedByRejoin") setState("left", "You joined this call from another page or device");
      else setState("left", "Disconnected by the server" + (state.reason ? " (" + state.reason + ")" : ""));
      return;
    }
  }
}

// The level meter shows the audio level the browser measures at the source.
async function updateMeter() {
  if (!pc) return;
  const stats = await pc.getStats();
  stats.forEach((s) => {
    if (s.type === "media-source" && s.kind === "audio" && typeof s.audioLevel === "number") {
      $("level").value = s.audioLevel;
    }
  });
}

function cleanup() {
  clearInterval(meterTimer);
  meterTimer = null;
  if (pc) pc.close();
  pc = null;
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = null;
  $("preview").srcObject = null;
  $("preview").hidden = true;
  $("level").value = 0;
}

async function leave() {
  $("leave").disabled = true;
  const url = sessionUrl;
  sessionUrl = null;
  if (url) {
    try {
      await fetch(url, { method: "DELETE", headers: { "Authorization": "Bearer " + token } });
    } catch (e) { /* the server ends the session when media stops anyway */ }
  }
  cleanup();
  setState("left", "You left the call");
  $("join").disabled = false;
}

// Leaving the page leaves the call.
window.addEventListener("pagehide", () => {
  if (sessionUrl) {
    fetch(sessionUrl, { method: "DELETE", keepalive: true, headers: { "Authorization": "Bearer " + token } });
  }
});

// The recording indicator: GET /calls/{call}/status with the join token
// says whether the call is being recorded (recordingState active), paused
// (inactive) or not (none). It runs while the page is open, joined or not.
async function pollStatus() {
  try {
    const resp = await fetch("/calls/" + encodeURIComponent(callId) + "/status", {
      headers: { "Authorization": "Bearer " + token },
      cache: "no-store",
    });
    if (resp.ok) showRecording((await resp.json()).recordingState);
  } catch (e) { /* asked again at the next poll */ }
  setTimeout(pollStatus, statusEveryMs);
}

function showRecording(state) {
  document.body.dataset.recording = state;
  const el = $("recording");
  el.hidden = state !== "active" && state !== "inactive";
  el.textContent = { active: "This call is being recorded", inactive: "Recording paused" }[state] || "";
}

$("call").textContent = callId || "(missing ?call=)";
$("participant").textContent = tokenParticipant(token) || "(missing or unreadable ?token=)";
$("name").value = params.get("name") || "";
$("join").addEventListener("click", join);
$("leave").addEventListener("click", leave);
if (!callId || !token) {
  $("join").disabled = true;
  setState("error", "This link is incomplete: it needs ?call= and &token=");
} else {
  pollStatus();
  if (params.get("autojoin") === "1") join();
}
