// Package e2e holds end-to-end acceptance tests that build the real callrec
// binary, start `callrec serve` on loopback with a fresh data directory, and
// drive it from outside: with the official ACS Call Automation JS SDK from
// npm (e2e/jssdk), with signed HTTP requests, and with kill -9 between steps.
//
// The tests need only Go; the JS SDK tests also need node and
// `npm ci` in e2e/jssdk (scripts/test does that). Outside CI they skip when
// node or node_modules is missing; with CI=true they fail instead.
package e2e
