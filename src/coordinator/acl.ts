/**
 * ACL validation and checks (the real server's fixupACL and checkACL), and the digest scheme.
 * Schemes: world (anyone), auth (whoever is authenticated on this connection), digest
 * (user:base64(sha1(user:password))), ip (address or address/bits).
 */
import { createHash } from "node:crypto";
import { type ACL, type Id, OPEN_ACL_UNSAFE } from "../zk/protocol/records.ts";

/** The identities a connection holds: always its ip, plus any digest ids from auth packets. */
export type AuthIds = readonly Id[];

/** `user:pass` → the digest id `user:base64(sha1("user:pass"))`. */
export function digestId(credentials: string): string {
  const user = credentials.split(":", 1)[0];
  const hash = createHash("sha1").update(credentials, "utf8").digest("base64");
  return `${user}:${hash}`;
}

/**
 * Validate an ACL list from a client and expand `auth` entries into the connection's
 * identities. Returns undefined when the list is invalid (the caller answers INVALIDACL).
 */
export function fixupAcl(acls: readonly ACL[], authIds: AuthIds): readonly ACL[] | undefined {
  if (acls.length === 0) return undefined;
  // What nearly every client sends: share one frozen list instead of a copy per node.
  if (acls.length === 1 && isOpenAcl(acls[0])) return OPEN_ACL_UNSAFE;
  const result: ACL[] = [];
  for (const acl of acls) {
    const { scheme, id } = acl.id;
    if (scheme === "world") {
      if (id !== "anyone") return undefined;
      result.push(acl);
    } else if (scheme === "auth") {
      const authenticated = authIds.filter((authId) => authId.scheme === "digest");
      if (authenticated.length === 0) return undefined;
      for (const authId of authenticated) result.push({ perms: acl.perms, id: authId });
    } else if (scheme === "digest") {
      if (id.split(":").length !== 2) return undefined;
      result.push(acl);
    } else if (scheme === "ip") {
      if (!isValidIpSpec(id)) return undefined;
      result.push(acl);
    } else {
      return undefined;
    }
  }
  return dedupe(result);
}

function isOpenAcl(acl: ACL): boolean {
  return acl.perms === 31 && acl.id.scheme === "world" && acl.id.id === "anyone";
}

function dedupe(acls: ACL[]): ACL[] {
  const seen = new Set<string>();
  return acls.filter((acl) => {
    const key = `${acl.perms}\0${acl.id.scheme}\0${acl.id.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** May a connection holding `authIds` do `perm` on a node with `acls`? */
export function hasPermission(acls: readonly ACL[], perm: number, authIds: AuthIds): boolean {
  if (acls.length === 0) return true;
  for (const acl of acls) {
    if ((acl.perms & perm) === 0) continue;
    const { scheme, id } = acl.id;
    if (scheme === "world" && id === "anyone") return true;
    for (const authId of authIds) {
      if (authId.scheme !== scheme) continue;
      if (scheme === "ip" ? ipMatches(id, authId.id) : authId.id === id) return true;
    }
  }
  return false;
}

function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

function isValidIpSpec(spec: string): boolean {
  const [address, bits, ...rest] = spec.split("/");
  if (rest.length > 0) return false;
  if (bits !== undefined && (!/^\d{1,2}$/.test(bits) || Number(bits) > 32)) return false;
  return parseIpv4(address) !== undefined || /^[0-9a-fA-F:]+$/.test(address);
}

function ipMatches(spec: string, address: string): boolean {
  const [network, bitsText] = spec.split("/");
  const wanted = parseIpv4(network);
  const actual = parseIpv4(address);
  if (wanted === undefined || actual === undefined) return network === address;
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (bits === 0) return true;
  const shift = 32 - bits;
  return Math.floor(wanted / 2 ** shift) === Math.floor(actual / 2 ** shift);
}
