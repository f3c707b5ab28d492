// An HttpClient for the SDK's supported `httpClient` client option that
// opens every socket to one loopback address and changes nothing else.
//
// SDK 1.6.0 sends content requests only to hosts ending in .asm.skype.com
// (and two other Microsoft suffixes). A test serves callrec under such a name
// (`callrec serve --public-url https://callrec-test.asm.skype.com:PORT`,
// whose self-signed certificate names that host) and routes the SDK's
// sockets to 127.0.0.1:PORT with this client. URL, Host header, TLS SNI and
// certificate check (servername = the URL's host), path, query and headers
// stay as the SDK made them: only the address the socket connects to is
// swapped, by an https.Agent whose `lookup` never asks DNS.
//
// Every request is checked to be for the one expected origin, so nothing the
// SDK sends can leave 127.0.0.1, and is recorded for the test's report.

import https from "node:https";
import { createDefaultHttpClient } from "@azure/core-rest-pipeline";

// loopbackHttpClient returns {httpClient, sent, lookups}: pass httpClient in
// the client options; sent lists {method, url, host, range} of each request
// and lookups the host names the agent resolved (to 127.0.0.1, never DNS).
// origin is the expected "https://host:port"; address is "127.0.0.1:port".
export function loopbackHttpClient(origin, address) {
  const want = new URL(origin);
  const [ip, port] = splitAddress(address);
  if (want.protocol !== "https:") {
    throw new Error(`loopbackHttpClient: origin ${origin} is not https`);
  }
  if (ip !== "127.0.0.1") {
    throw new Error(`loopbackHttpClient: ${address} is not on 127.0.0.1`);
  }
  if ((want.port || "443") !== port) {
    // The agent swaps the address only; the socket keeps the URL's port.
    throw new Error(`loopbackHttpClient: origin ${origin} and ${address} have different ports`);
  }
  const sent = [];
  const lookups = [];
  const agent = new https.Agent({
    keepAlive: true,
    lookup(hostname, options, callback) {
      lookups.push(hostname);
      if (hostname !== want.hostname) {
        callback(new Error(`loopbackHttpClient: refusing to resolve ${hostname}`));
      } else if (options?.all) {
        callback(null, [{ address: ip, family: 4 }]);
      } else {
        callback(null, ip, 4);
      }
    },
  });
  const inner = createDefaultHttpClient();
  const httpClient = {
    async sendRequest(request) {
      const url = new URL(request.url);
      if (url.origin !== want.origin) {
        throw new Error(`loopbackHttpClient: refusing ${request.method} ${request.url}: only ${origin} is routed to ${address}`);
      }
      sent.push({
        method: request.method,
        url: request.url,
        host: request.headers.get("host") ?? null,
        range: request.headers.get("range") ?? null,
      });
      // Set last, after every policy (a proxy policy included), so the
      // socket can only go where this agent connects.
      request.agent = agent;
      return inner.sendRequest(request);
    },
  };
  return { httpClient, sent, lookups, close: () => agent.destroy() };
}

function splitAddress(address) {
  const m = /^(.*):(\d+)$/.exec(address ?? "");
  if (!m) {
    throw new Error(`loopbackHttpClient: address ${JSON.stringify(address)} is not host:port`);
  }
  return [m[1], m[2]];
}
