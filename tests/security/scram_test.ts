import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { saslScramSha } from "@platformatic/kafka";
import {
  constantTimeEqual,
  createScramCredential,
  formatScramCredential,
  parseScramCredential,
  passwordMatches,
  SCRAM_SHA_256,
  SCRAM_SHA_512,
  type ScramCredential,
  type ScramMechanism,
} from "../../src/security/scram.ts";
import { ScramServerExchange } from "../../src/security/scram-server.ts";
import { ScramClientExchange } from "../../src/security/scram-client.ts";
import { type CredentialLookup, SaslAuthenticationError } from "../../src/security/sasl.ts";
import { decodeBase64 } from "../../src/security/base64.ts";
import { decodeSaslName, encodeSaslName, parseClientFirst } from "../../src/security/scram-messages.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (value: string) => new TextEncoder().encode(value);

function lookupOf(users: Record<string, ScramCredential>, mechanism: ScramMechanism): CredentialLookup {
  return (user, name) => name === mechanism.name ? users[user] : undefined;
}

/** Run a whole exchange between our client and our server; resolves to the authenticated user. */
async function exchange(server: ScramServerExchange, client: ScramClientExchange): Promise<string> {
  const first = await server.evaluate(client.initialToken());
  assert.equal(first.done, false);
  const clientFinal = await client.evaluate(first.challenge);
  assert.ok(clientFinal);
  const final = await server.evaluate(clientFinal);
  assert.equal(final.done, true);
  assert.equal(await client.evaluate(final.challenge), null);
  assert.ok(client.complete);
  return final.done ? final.user : "";
}

Deno.test("SCRAM-SHA-256 server reproduces RFC 7677's example exchange", async () => {
  // RFC 7677 §3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
  const credential = await createScramCredential(
    SCRAM_SHA_256,
    "pencil",
    4096,
    decodeBase64("W22ZaJ0SNY7soEsUEjb6gQ==", "salt"),
  );
  const server = new ScramServerExchange(
    SCRAM_SHA_256,
    lookupOf({ user: credential }, SCRAM_SHA_256),
    "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
  );
  const first = await server.evaluate(bytes("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
  assert.equal(
    text(first.challenge),
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  );
  const final = await server.evaluate(
    bytes(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," +
        "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    ),
  );
  assert.deepEqual(final.done && final.user, "user");
  assert.equal(text(final.challenge), "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
});

Deno.test("SCRAM-SHA-256 client reproduces RFC 7677's example exchange", async () => {
  const client = new ScramClientExchange(SCRAM_SHA_256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  assert.equal(text(client.initialToken()), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  const final = await client.evaluate(
    bytes("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
  );
  assert.equal(
    text(final!),
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  );
  assert.equal(await client.evaluate(bytes("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")), null);
  assert.ok(client.complete);
});

for (const mechanism of [SCRAM_SHA_256, SCRAM_SHA_512]) {
  Deno.test(`${mechanism.name}: our client and server agree; wrong passwords and unknown users fail alike`, async () => {
    const alice = await createScramCredential(mechanism, "s3cret, with = signs", 4096);
    const lookup = lookupOf({ "alice,=x": alice }, mechanism);
    assert.equal(
      await exchange(
        new ScramServerExchange(mechanism, lookup),
        new ScramClientExchange(mechanism, "alice,=x", "s3cret, with = signs"),
      ),
      "alice,=x",
    );
    const failures: string[] = [];
    for (const [user, password] of [["alice,=x", "wrong"], ["mallory", "s3cret, with = signs"]]) {
      const server = new ScramServerExchange(mechanism, lookup);
      const client = new ScramClientExchange(mechanism, user, password);
      const first = await server.evaluate(client.initialToken());
      const error = await server.evaluate((await client.evaluate(first.challenge))!).catch((e) => e);
      assert.ok(error instanceof SaslAuthenticationError);
      failures.push(error.message);
    }
    assert.equal(failures[0], failures[1], "the client cannot tell an unknown user from a wrong password");
    assert.match(failures[0], new RegExp(`invalid credentials with SASL mechanism ${mechanism.name}`));
  });

  Deno.test(`${mechanism.name}: @platformatic/kafka's SCRAM client authenticates against our server`, async () => {
    const credential = await createScramCredential(mechanism, "pw", 8192);
    const server = new ScramServerExchange(mechanism, lookupOf({ bob: credential }, mechanism));
    // Their client talks through an "authenticate API" callback; ours answers it with the server exchange.
    const authenticateApi = (
      _connection: unknown,
      authBytes: Buffer,
      callback: (e: unknown, r?: unknown) => void,
    ) => {
      server.evaluate(new Uint8Array(authBytes)).then(
        (step) => callback(null, { authBytes: Buffer.from(step.challenge) }),
        (error) => callback(error),
      );
    };
    // deno-lint-ignore no-explicit-any
    await saslScramSha.authenticate(authenticateApi as any, {} as any, mechanism.hash, "bob", "pw");
  });
}

Deno.test("SCRAM server refuses tampered and out-of-order messages", async () => {
  const credential = await createScramCredential(SCRAM_SHA_256, "pw", 4096);
  const lookup = lookupOf({ u: credential }, SCRAM_SHA_256);
  const refused = async (steps: string[]) => {
    const server = new ScramServerExchange(SCRAM_SHA_256, lookup);
    let error: unknown;
    for (const step of steps) {
      error = await server.evaluate(bytes(step)).then(() => undefined, (e) => e);
      if (error) break;
    }
    assert.ok(error instanceof SaslAuthenticationError, `${steps.join(" | ")} should be refused`);
    return (error as Error).message;
  };
  assert.match(await refused(["p=tls-unique,,n=u,r=abc"]), /channel binding is not supported/);
  assert.match(await refused(["n,a=admin,n=u,r=abc"]), /authorization id/);
  assert.match(await refused(["n,,n=u,r=abc,tokenauth=true"]), /delegation tokens/);
  assert.match(await refused(["n,,n=u,r=abc,m=x"]), /mandatory extension/);
  assert.match(await refused(["n,,r=abc,n=u"]), /expected "n="/);
  assert.match(await refused(["n,,n=u=41,r=abc"]), /user name encoding/);
  assert.match(await refused(["c=biws,r=abc,p=AAAA"]), /malformed GS2 header/);
  // A client-final with a nonce other than the combined one, or another channel binding.
  const server = new ScramServerExchange(SCRAM_SHA_256, lookup, "SERVER");
  await server.evaluate(bytes("n,,n=u,r=abc"));
  await assert.rejects(server.evaluate(bytes("c=biws,r=abcOTHER,p=AAAA")), /nonce does not match/);
  const server2 = new ScramServerExchange(SCRAM_SHA_256, lookup, "SERVER");
  await server2.evaluate(bytes("n,,n=u,r=abc"));
  await assert.rejects(
    server2.evaluate(bytes("c=eSws,r=abcSERVER,p=AAAA")),
    /channel binding does not match/,
  );
  // After a failure, nothing more is accepted.
  await assert.rejects(server2.evaluate(bytes("n,,n=u,r=abc")), SaslAuthenticationError);
  // Oversized and non-UTF-8 tokens.
  await assert.rejects(
    new ScramServerExchange(SCRAM_SHA_256, lookup).evaluate(new Uint8Array(5000).fill(0x61)),
    /longer than/,
  );
  await assert.rejects(
    new ScramServerExchange(SCRAM_SHA_256, lookup).evaluate(new Uint8Array([0xff])),
    /UTF-8/,
  );
});

Deno.test("SCRAM client refuses a server that cheats", async () => {
  const client = () => new ScramClientExchange(SCRAM_SHA_512, "u", "pw", "clientnonce");
  await assert.rejects(client().evaluate(bytes("r=othernonce,s=AQID,i=4096")), /does not extend ours/);
  await assert.rejects(client().evaluate(bytes("r=clientnonce,s=AQID,i=4096")), /does not extend ours/);
  await assert.rejects(client().evaluate(bytes("r=clientnonceX,s=AQID,i=1")), /outside 4096/);
  await assert.rejects(client().evaluate(bytes("r=clientnonceX,s=AQID,i=100000000")), /outside 4096/);
  await assert.rejects(client().evaluate(bytes("r=clientnonceX,s=,i=4096")), /empty salt/);
  const c = client();
  await c.evaluate(bytes("r=clientnonceX,s=AQID,i=4096"));
  await assert.rejects(c.evaluate(bytes("v=AAAA")), /signature is wrong/);
  const d = client();
  await d.evaluate(bytes("r=clientnonceX,s=AQID,i=4096"));
  await assert.rejects(d.evaluate(bytes("e=invalid-proof")), /refused: invalid-proof/);
});

Deno.test("Credentials use Kafka's text form and never hold the password", async () => {
  const credential = await createScramCredential(SCRAM_SHA_512, "hunter2", 4096, new Uint8Array(16).fill(7));
  const formatted = formatScramCredential(credential);
  assert.match(
    formatted,
    /^salt=BwcHBwcHBwcHBwcHBwcHBw==,stored_key=[A-Za-z0-9+/=]{88},server_key=[A-Za-z0-9+/=]{88},iterations=4096$/,
  );
  assert.ok(!formatted.includes("hunter2"));
  const parsed = parseScramCredential(formatted);
  assert.deepEqual(parsed, credential);
  assert.ok(await passwordMatches(SCRAM_SHA_512, parsed, "hunter2"));
  assert.ok(!await passwordMatches(SCRAM_SHA_512, parsed, "hunter3"));
  // Keys in any order are Kafka's Properties semantics; anything else is refused.
  const reordered = formatted.split(",").reverse().join(",");
  assert.deepEqual(parseScramCredential(reordered), credential);
  for (
    const bad of [
      "salt=AQID,stored_key=AQID,server_key=AQID",
      "salt=AQID,stored_key=AQID,server_key=AQID,iterations=x",
      "salt=AQID,stored_key=AQID,server_key=AQID,iterations=1,extra=1",
      "salt=!!!,stored_key=AQID,server_key=AQID,iterations=4096",
      "salt=AQID,salt=AQID,stored_key=AQID,server_key=AQID,iterations=4096",
    ]
  ) assert.throws(() => parseScramCredential(bad), TypeError, bad);
  await assert.rejects(createScramCredential(SCRAM_SHA_512, "x", 4095), RangeError);
  await assert.rejects(createScramCredential(SCRAM_SHA_512, "x", 16385), RangeError);
});

Deno.test("SCRAM names, nonces and comparisons", () => {
  assert.equal(encodeSaslName("a,b=c"), "a=2Cb=3Dc");
  assert.equal(decodeSaslName("a=2Cb=3Dc"), "a,b=c");
  assert.throws(() => decodeSaslName("a=41"), TypeError);
  assert.equal(parseClientFirst("n,,n=u,r=x").gs2Header, "n,,");
  assert.equal(parseClientFirst("y,a=u,n=u,r=x").authzid, "u");
  assert.ok(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
  assert.ok(!constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])));
  assert.ok(!constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0])));
  assert.ok(!constantTimeEqual(new Uint8Array([]), new Uint8Array([0])));
});
