// Loads one pinned version of the official ACS Call Automation SDK and
// builds a client for a callrec connection string.
//
// Two versions are installed side by side (see package.json):
//   1.6.0 as "@azure/communication-call-automation"
//   1.5.1 as the npm alias "call-automation-1.5.1"

import { readFileSync } from "node:fs";

const packages = {
  "1.6.0": "@azure/communication-call-automation",
  "1.5.1": "call-automation-1.5.1",
};

// loadSDK imports the SDK for version and checks that the installed package
// really is that version (a stale node_modules would otherwise pass silently).
export async function loadSDK(version) {
  const name = packages[version];
  if (!name) {
    throw new Error(`unknown SDK version ${JSON.stringify(version)}; want one of ${Object.keys(packages).join(", ")}`);
  }
  const manifest = JSON.parse(
    readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), "utf8"),
  );
  if (manifest.version !== version) {
    throw new Error(`node_modules/${name} is ${manifest.version}, want ${version}: run npm ci in e2e/jssdk`);
  }
  return import(name);
}

// endpointOf returns the endpoint URL of an ACS connection string.
export function endpointOf(connectionString) {
  const m = /endpoint=(.*);accesskey=(.*)/i.exec(connectionString);
  if (!m) {
    throw new Error("connection string is not endpoint=…;accesskey=…");
  }
  return new URL(m[1]);
}

// newClient builds a CallAutomationClient. Over http the SDK refuses to send
// anything unless allowInsecureConnection is set; over https the server's CA
// must be trusted through NODE_EXTRA_CA_CERTS. options are further client
// options, such as httpClient.
export function newClient(sdk, connectionString, options = {}) {
  const insecure = endpointOf(connectionString).protocol === "http:";
  return new sdk.CallAutomationClient(connectionString, { allowInsecureConnection: insecure, ...options });
}
