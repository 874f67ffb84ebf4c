/** The broker-side SASL state machine, driven with encoded requests as a connection would. */
import assert from "node:assert/strict";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import {
  readSaslAuthenticateResponse,
  type SaslAuthenticateResponse,
  writeSaslAuthenticateRequest,
} from "../../src/kafka/apis/sasl-authenticate.ts";
import {
  readSaslHandshakeResponse,
  type SaslHandshakeResponse,
  writeSaslHandshakeRequest,
} from "../../src/kafka/apis/sasl-handshake.ts";
import { SaslAuthenticator, type SaslReply } from "../../src/security/sasl-authenticator.ts";
import { createClientExchange } from "../../src/security/sasl-mechanisms.ts";
import type { CredentialLookup } from "../../src/security/sasl.ts";
import { createScramCredential, SCRAM_SHA_512 } from "../../src/security/scram.ts";
import { Reader } from "../../src/wire/reader.ts";
import { Writer } from "../../src/wire/writer.ts";

const alice = await createScramCredential(SCRAM_SHA_512, "wonderland", 4096);
const lookup: CredentialLookup = (user, mechanism) =>
  user === "alice" && mechanism === "SCRAM-SHA-512" ? alice : undefined;

function authenticator(failures: string[] = []) {
  return new SaslAuthenticator({
    enabledMechanisms: ["PLAIN", "SCRAM-SHA-512"],
    lookup,
    failedAuthenticationDelayMs: 250,
    onFailure: (detail) => failures.push(detail),
  });
}

const body = (write: (w: Writer) => void) => {
  const writer = new Writer();
  write(writer);
  return new Reader(writer.toBytes());
};
const decoded = <T>(reply: SaslReply, read: (r: Reader, v: number) => T, version: number): T => {
  const writer = new Writer();
  reply.write(writer);
  return read(new Reader(writer.toBytes()), version);
};

async function handshake(sasl: SaslAuthenticator, mechanism: string, version = 1) {
  const reply = await sasl.handle(
    ApiKey.SaslHandshake,
    version,
    body((w) => writeSaslHandshakeRequest(w, version, { mechanism })),
  );
  return { reply, response: decoded<SaslHandshakeResponse>(reply, readSaslHandshakeResponse, version) };
}

async function authenticate(sasl: SaslAuthenticator, token: Uint8Array, version = 2) {
  const reply = await sasl.handle(
    ApiKey.SaslAuthenticate,
    version,
    body((w) => writeSaslAuthenticateRequest(w, version, { authBytes: token })),
  );
  return { reply, response: decoded<SaslAuthenticateResponse>(reply, readSaslAuthenticateResponse, version) };
}

Deno.test("SCRAM over SaslHandshake v1 + SaslAuthenticate: only ApiVersions and SASL pass before it", async () => {
  const sasl = authenticator();
  assert.equal(sasl.route(ApiKey.ApiVersions), "pass");
  assert.equal(sasl.route(ApiKey.Metadata), "refuse");
  assert.equal(sasl.route(ApiKey.Produce), "refuse");
  const { reply, response } = await handshake(sasl, "SCRAM-SHA-512");
  assert.deepEqual(response, { errorCode: 0, mechanisms: ["PLAIN", "SCRAM-SHA-512"] });
  assert.equal(reply.close, false);
  const client = createClientExchange("SCRAM-SHA-512", "alice", "wonderland");
  const first = await authenticate(sasl, client.initialToken());
  assert.equal(first.response.errorCode, 0);
  assert.equal(sasl.authenticated, false);
  const final = await authenticate(sasl, (await client.evaluate(first.response.authBytes))!, 1);
  assert.equal(final.response.errorCode, 0);
  assert.equal(final.response.sessionLifetimeMs, 0);
  assert.equal(
    await client.evaluate(final.response.authBytes),
    null,
    "the client verifies the server's signature",
  );
  assert.equal(sasl.authenticated, true);
  assert.equal(sasl.user, "alice");
  assert.equal(sasl.route(ApiKey.Produce), "pass");
  // No re-authentication: a second handshake is an illegal state and closes the connection.
  const again = await handshake(sasl, "PLAIN");
  assert.equal(again.response.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  assert.equal(again.reply.close, true);
});

Deno.test("A wrong password answers SASL_AUTHENTICATION_FAILED after the delay, then closes", async () => {
  const failures: string[] = [];
  const sasl = authenticator(failures);
  await handshake(sasl, "PLAIN");
  const { reply, response } = await authenticate(sasl, new TextEncoder().encode("\0alice\0wrong"), 0);
  assert.equal(response.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.match(response.errorMessage!, /invalid credentials with SASL mechanism PLAIN/);
  assert.equal(reply.delayMs, 250);
  assert.equal(reply.close, true);
  assert.deepEqual(failures, ['wrong password for "alice"']);
  assert.equal(sasl.authenticated, false);
  assert.equal(sasl.route(ApiKey.Produce), "refuse");
});

Deno.test("Mechanisms the listener does not enable, and requests out of order, are refused", async () => {
  const failures: string[] = [];
  const sasl = authenticator(failures);
  const { reply, response } = await handshake(sasl, "SCRAM-SHA-256");
  assert.deepEqual(response, {
    errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
    mechanisms: ["PLAIN", "SCRAM-SHA-512"],
  });
  assert.equal(reply.close, true);
  assert.match(failures[0], /"SCRAM-SHA-256" is not enabled/);
  assert.equal(
    (await handshake(authenticator(), "GSSAPI")).response.errorCode,
    ErrorCode.UNSUPPORTED_SASL_MECHANISM,
  );

  const early = await authenticate(authenticator(), new Uint8Array([1]));
  assert.equal(early.response.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  assert.match(early.response.errorMessage!, /before a SaslHandshake/);
  assert.equal(early.reply.close, true);
});

Deno.test("SaslHandshake v0: bare tokens follow, and a failure just closes after the delay", async () => {
  const sasl = authenticator();
  await handshake(sasl, "PLAIN", 0);
  assert.equal(sasl.expectsRawToken, true);
  const ok = await sasl.rawToken(new TextEncoder().encode("\0alice\0wonderland"));
  assert.deepEqual(ok, { reply: new Uint8Array(), delayMs: 0, close: false });
  assert.equal(sasl.user, "alice");
  assert.equal(sasl.expectsRawToken, false);

  const bad = authenticator();
  await handshake(bad, "SCRAM-SHA-512", 0);
  const client = createClientExchange("SCRAM-SHA-512", "alice", "nope");
  const first = await bad.rawToken(client.initialToken());
  assert.equal(first.close, false);
  const final = await bad.rawToken((await client.evaluate(first.reply!))!);
  assert.deepEqual(final, { reply: null, delayMs: 250, close: true });
  assert.deepEqual(await authenticator().rawToken(new Uint8Array([1])), {
    reply: null,
    delayMs: 0,
    close: true,
  });
});
