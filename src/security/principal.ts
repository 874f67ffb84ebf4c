/**
 * Who a connection is, as Kafka's DefaultKafkaPrincipalBuilder decides it: the SASL
 * authorization id when the connection authenticated with SASL (`User:alice`), else the
 * subject of a verified client certificate in RFC 2253 form (`User:CN=alice,O=Example`, Kafka's
 * default ssl.principal.mapping.rules), else `User:ANONYMOUS`. ACLs and super users name these
 * strings.
 *
 * @example
 * ```ts
 * connectionPrincipal({ saslUser: "alice" });             // "User:alice"
 * connectionPrincipal({ peerCertificate: der });          // "User:CN=alice,O=Vltava Test"
 * connectionPrincipal({});                                // "User:ANONYMOUS"
 * ```
 */
import { subjectDistinguishedName } from "./x509-subject.ts";

export const ANONYMOUS_PRINCIPAL = "User:ANONYMOUS";

export interface ConnectionIdentity {
  /** The user a SASL exchange authenticated. */
  saslUser?: string;
  /** The client certificate (DER) the TLS handshake verified. */
  peerCertificate?: Uint8Array | null;
}

export function connectionPrincipal(identity: ConnectionIdentity): string {
  if (identity.saslUser !== undefined) return `User:${identity.saslUser}`;
  if (identity.peerCertificate) return `User:${subjectDistinguishedName(identity.peerCertificate)}`;
  return ANONYMOUS_PRINCIPAL;
}
