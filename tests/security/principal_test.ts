import assert from "node:assert/strict";
import { subjectDistinguishedName } from "../../src/security/x509-subject.ts";
import { ANONYMOUS_PRINCIPAL, connectionPrincipal } from "../../src/security/principal.ts";
import { tempDir } from "../helpers/program.ts";

/** A self-signed certificate with this -subj, as DER. */
async function certificateWithSubject(
  dir: string,
  subject: string,
  extra: string[] = [],
): Promise<Uint8Array> {
  const name = `${dir}/c${crypto.randomUUID()}`;
  const run = async (args: string[]) => {
    const result = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" }).output();
    if (!result.success) throw new Error(new TextDecoder().decode(result.stderr));
  };
  await run([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "1",
    "-subj",
    subject,
    "-utf8",
    ...extra,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
  ]);
  await run(["x509", "-in", `${name}.pem`, "-outform", "DER", "-out", `${name}.der`]);
  return await Deno.readFile(`${name}.der`);
}

Deno.test("Certificate subjects print as RFC 2253 (Java's X500Principal.getName), last RDN first", async () => {
  await using dir = await tempDir("vltava-subject-");
  const cases: [string, string, string[]?][] = [
    ["/CN=alice", "CN=alice"],
    ["/C=CZ/ST=Praha/L=Praha/O=Vltava/OU=Ops/CN=alice", "CN=alice,OU=Ops,O=Vltava,L=Praha,ST=Praha,C=CZ"],
    ["/O=Acme, Inc./CN=a\\+b;c", "CN=a\\+b\\;c,O=Acme\\, Inc."],
    ["/DC=com/DC=example/UID=jdoe", "UID=jdoe,DC=example,DC=com"],
    ["/CN=#hash", "CN=\\#hash"],
    ["/CN=Dvořák", "CN=Dvořák"],
    ["/CN=a+UID=b", "CN=a+UID=b", ["-multivalue-rdn"]],
    // emailAddress has no RFC 2253 keyword: dotted OID and the DER value in hex (IA5String "a@b").
    ["/emailAddress=a@b/CN=x", "CN=x,1.2.840.113549.1.9.1=#1603614062"],
  ];
  for (const [subject, expected, extra] of cases) {
    assert.equal(
      subjectDistinguishedName(await certificateWithSubject(dir.path, subject, extra)),
      expected,
      subject,
    );
  }
});

Deno.test("Malformed certificates are a TypeError, never a crash or an over-read", async () => {
  await using dir = await tempDir("vltava-subject-");
  const der = await certificateWithSubject(dir.path, "/CN=alice");
  for (let cut = 0; cut < 120; cut++) {
    assert.throws(() => subjectDistinguishedName(der.subarray(0, cut)), TypeError, `cut at ${cut}`);
  }
  assert.throws(
    () => subjectDistinguishedName(new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])),
    TypeError,
  );
  assert.throws(() => subjectDistinguishedName(new Uint8Array([0x04, 0x00])), TypeError);
});

Deno.test("Principals: SASL user first, then the client certificate, else ANONYMOUS", async () => {
  await using dir = await tempDir("vltava-subject-");
  const der = await certificateWithSubject(dir.path, "/O=Test/CN=bob");
  assert.equal(connectionPrincipal({}), ANONYMOUS_PRINCIPAL);
  assert.equal(connectionPrincipal({ peerCertificate: null }), "User:ANONYMOUS");
  assert.equal(connectionPrincipal({ peerCertificate: der }), "User:CN=bob,O=Test");
  assert.equal(connectionPrincipal({ saslUser: "alice", peerCertificate: der }), "User:alice");
});
