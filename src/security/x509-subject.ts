/**
 * The subject of an X.509 certificate as an RFC 2253 string — what Java's
 * X500Principal.getName() returns and so what Kafka's default principal mapping turns into
 * `User:CN=alice,O=Example` for a client certificate. Node's parsed `subject` object loses the
 * order and repetition of the RDNs, so this reads the DER itself: just enough ASN.1 to walk
 * Certificate → TBSCertificate → subject Name, with every length bounded by its container.
 *
 * RFC 2253: RDNs last-to-first, joined by ","; the attributes of a multi-valued RDN joined by
 * "+"; CN, C, L, ST, O, OU, STREET, DC and UID by name, any other attribute as its dotted OID
 * with the value as "#" and the hex of its DER encoding; `,+"\<>;` escaped with a backslash,
 * as are a leading "#" or space and a trailing space.
 *
 * @example
 * ```ts
 * subjectDistinguishedName(peerCertificateDer); // "CN=alice,O=Vltava Test"
 * ```
 */

interface Tlv {
  tag: number;
  /** First content byte. */
  start: number;
  /** One past the last content byte. */
  end: number;
}

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;
const VERSION = 0xa0;

const NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.9": "STREET",
  "0.9.2342.19200300.100.1.25": "DC",
  "0.9.2342.19200300.100.1.1": "UID",
};

/** Read one TLV at `at`, within [at, limit). */
function readTlv(der: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new TypeError("Truncated certificate");
  const tag = der[at];
  let length = der[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) {
      throw new TypeError("Invalid length in certificate");
    }
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i];
    start += count;
  }
  if (start + length > limit) throw new TypeError("Truncated certificate");
  return { tag, start, end: start + length };
}

function expectTag(tlv: Tlv, tag: number, what: string): Tlv {
  if (tlv.tag !== tag) throw new TypeError(`Certificate: expected ${what}`);
  return tlv;
}

/** The subject of a DER certificate, RFC 2253 style. Throws TypeError on malformed input. */
export function subjectDistinguishedName(der: Uint8Array): string {
  const certificate = expectTag(readTlv(der, 0, der.length), SEQUENCE, "a certificate");
  const tbs = expectTag(readTlv(der, certificate.start, certificate.end), SEQUENCE, "a TBSCertificate");
  let at = tbs.start;
  const next = () => {
    const tlv = readTlv(der, at, tbs.end);
    at = tlv.end;
    return tlv;
  };
  let field = next();
  if (field.tag === VERSION) field = next(); // explicit [0] version, then the serial number
  next(); // signature algorithm
  next(); // issuer
  next(); // validity
  const subject = expectTag(next(), SEQUENCE, "a subject name");
  return formatName(der, subject);
}

function formatName(der: Uint8Array, name: Tlv): string {
  const rdns: string[] = [];
  for (let at = name.start; at < name.end;) {
    const rdn = expectTag(readTlv(der, at, name.end), SET, "a relative distinguished name");
    at = rdn.end;
    const attributes: string[] = [];
    for (let inner = rdn.start; inner < rdn.end;) {
      const attribute = expectTag(readTlv(der, inner, rdn.end), SEQUENCE, "an attribute");
      inner = attribute.end;
      const type = expectTag(readTlv(der, attribute.start, attribute.end), OID, "an attribute type");
      const value = readTlv(der, type.end, attribute.end);
      const oid = decodeOid(der.subarray(type.start, type.end));
      const keyword = NAMES[oid];
      attributes.push(
        keyword === undefined
          ? `${oid}=#${hex(der.subarray(type.end, value.end))}`
          : `${keyword}=${escapeValue(decodeString(value.tag, der.subarray(value.start, value.end)))}`,
      );
    }
    rdns.push(attributes.join("+"));
  }
  return rdns.reverse().join(",");
}

function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new TypeError("Empty OID in certificate");
  const parts = [Math.floor(bytes[0] / 40), bytes[0] % 40];
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    value = value * 128 + (bytes[i] & 0x7f);
    if ((bytes[i] & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

function decodeString(tag: number, bytes: Uint8Array): string {
  switch (tag) {
    case 0x0c: // UTF8String
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString, read as Latin-1 as most tools do
      return String.fromCharCode(...bytes);
    case 0x1e: // BMPString: UTF-16BE
      return new TextDecoder("utf-16be").decode(bytes);
    case 0x1c: { // UniversalString: UTF-32BE
      let out = "";
      for (let i = 0; i + 3 < bytes.length; i += 4) {
        out += String.fromCodePoint(
          ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0,
        );
      }
      return out;
    }
    default:
      throw new TypeError(`Unsupported string type 0x${tag.toString(16)} in certificate subject`);
  }
}

function escapeValue(value: string): string {
  let escaped = value.replace(/[,+"\\<>;]/g, (char) => `\\${char}`);
  if (escaped.startsWith("#") || escaped.startsWith(" ")) escaped = `\\${escaped}`;
  if (escaped.endsWith(" ") && !escaped.endsWith("\\ ")) escaped = `${escaped.slice(0, -1)}\\ `;
  return escaped;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
