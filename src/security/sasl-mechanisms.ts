/**
 * The one place that maps a SASL mechanism name to its exchange classes, for the broker
 * (server side) and the client library (client side).
 *
 * @example
 * ```ts
 * const server = createServerExchange("SCRAM-SHA-256", lookup);
 * const client = createClientExchange("SCRAM-SHA-256", "alice", "secret");
 * ```
 */
import { PlainClientExchange, PlainServerExchange } from "./plain.ts";
import type { CredentialLookup, SaslClientExchange, SaslMechanismName, SaslServerExchange } from "./sasl.ts";
import { SCRAM_SHA_256, SCRAM_SHA_512 } from "./scram.ts";
import { ScramClientExchange } from "./scram-client.ts";
import { ScramServerExchange } from "./scram-server.ts";

export function createServerExchange(
  mechanism: SaslMechanismName,
  lookup: CredentialLookup,
): SaslServerExchange {
  switch (mechanism) {
    case "PLAIN":
      return new PlainServerExchange(lookup);
    case "SCRAM-SHA-256":
      return new ScramServerExchange(SCRAM_SHA_256, lookup);
    case "SCRAM-SHA-512":
      return new ScramServerExchange(SCRAM_SHA_512, lookup);
  }
}

export function createClientExchange(
  mechanism: SaslMechanismName,
  username: string,
  password: string,
): SaslClientExchange {
  switch (mechanism) {
    case "PLAIN":
      return new PlainClientExchange(username, password);
    case "SCRAM-SHA-256":
      return new ScramClientExchange(SCRAM_SHA_256, username, password);
    case "SCRAM-SHA-512":
      return new ScramClientExchange(SCRAM_SHA_512, username, password);
  }
}
