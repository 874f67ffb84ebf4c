import assert from "node:assert/strict";
import { PlainClientExchange, PlainServerExchange } from "../../src/security/plain.ts";
import {
  createScramCredential,
  SCRAM_SHA_256,
  SCRAM_SHA_512,
  type ScramCredential,
} from "../../src/security/scram.ts";
import { type CredentialLookup, SaslAuthenticationError } from "../../src/security/sasl.ts";

const bytes = (value: string) => new TextEncoder().encode(value);

Deno.test("PLAIN checks passwords against the stored SCRAM credentials", async () => {
  const stored: Record<string, Partial<Record<string, ScramCredential>>> = {
    alice: { "SCRAM-SHA-512": await createScramCredential(SCRAM_SHA_512, "wonderland", 4096) },
    bob: { "SCRAM-SHA-256": await createScramCredential(SCRAM_SHA_256, "builder", 4096) },
  };
  const lookup: CredentialLookup = (user, mechanism) => stored[user]?.[mechanism];
  const login = (token: Uint8Array) => new PlainServerExchange(lookup).evaluate(token);

  const ok = await login(new PlainClientExchange("alice", "wonderland").initialToken());
  assert.deepEqual(ok, { done: true, challenge: new Uint8Array(), user: "alice" });
  // A user with only a SHA-256 credential, and an explicit authzid equal to the user.
  assert.equal((await login(bytes("bob\0bob\0builder")) as { user: string }).user, "bob");

  const wrong = await login(bytes("\0alice\0nope")).catch((e) => e);
  const unknown = await login(bytes("\0mallory\0wonderland")).catch((e) => e);
  assert.ok(wrong instanceof SaslAuthenticationError && unknown instanceof SaslAuthenticationError);
  assert.equal(wrong.message, unknown.message);
  assert.match(wrong.message, /invalid credentials with SASL mechanism PLAIN/);
  assert.match(unknown.detail, /unknown user "mallory"/);

  await assert.rejects(login(bytes("admin\0alice\0wonderland")), /authorization id/);
  await assert.rejects(login(bytes("alice\0wonderland")), /separated by NUL/);
  await assert.rejects(login(bytes("\0\0x")), /must not be empty/);
  await assert.rejects(login(new Uint8Array([0, 0xc3, 0, 0x41])), /UTF-8/);
  await assert.rejects(login(new Uint8Array(4096)), /longer than/);
  const server = new PlainServerExchange(lookup);
  await server.evaluate(bytes("\0alice\0wonderland"));
  await assert.rejects(server.evaluate(bytes("\0alice\0wonderland")), /after the exchange completed/);
});

Deno.test("PLAIN client sends RFC 4616's message and refuses NUL in names", async () => {
  const client = new PlainClientExchange("tim", "tanstaaftanstaaf");
  assert.deepEqual(client.initialToken(), bytes("\0tim\0tanstaaftanstaaf"));
  assert.equal(client.complete, false);
  assert.equal(await client.evaluate(new Uint8Array()), null);
  assert.equal(client.complete, true);
  assert.throws(() => new PlainClientExchange("a\0b", "x"), TypeError);
});
