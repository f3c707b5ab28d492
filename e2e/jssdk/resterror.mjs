// Checks that a failing SDK call surfaces the server's error as a RestError
// whose .code and .message are exactly those of the server's
// {"error":{"code","message"}} body.

import assert from "node:assert/strict";

// expectRestError runs fn, which must throw a RestError with HTTP status
// wantStatus, and returns {name, status, code, message} for the report.
export async function expectRestError(name, wantStatus, fn) {
  let err;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `${name}: expected HTTP ${wantStatus}, but the call succeeded`);
  assert.equal(err.name, "RestError", `${name}: expected a RestError, got ${err?.stack ?? err}`);
  assert.equal(err.statusCode, wantStatus, `${name}: status (body ${err.response?.bodyAsText})`);

  const text = err.response?.bodyAsText ?? "";
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`${name}: error body is not JSON: ${JSON.stringify(text)}`);
  }
  const contentType = err.response.headers.get("content-type") ?? "";
  assert.match(contentType, /^application\/json/, `${name}: error content type`);
  assert.ok(body.error, `${name}: body has no "error" object: ${text}`);
  assert.ok(typeof body.error.code === "string" && body.error.code !== "", `${name}: error.code must be a non-empty string: ${text}`);
  assert.ok(typeof body.error.message === "string" && body.error.message !== "", `${name}: error.message must be non-empty: ${text}`);
  assert.equal(err.code, body.error.code, `${name}: RestError.code should be the server's error.code`);
  assert.equal(err.message, body.error.message, `${name}: RestError.message should be the server's error.message`);
  return { name, status: err.statusCode, code: err.code, message: err.message };
}
