/**
 * The server side of one SCRAM exchange (RFC 5802 §5, as Kafka's ScramSaslServer):
 *
 *   client-first  → check the header, look up the user, answer server-first (our nonce appended)
 *   client-final  → check channel binding and nonce, verify the proof, answer server-final
 *
 * Verification: ClientSignature = HMAC(StoredKey, AuthMessage); ClientKey = proof XOR
 * ClientSignature; H(ClientKey) must equal StoredKey (compared in constant time). The answer
 * proves the server knows ServerKey: HMAC(ServerKey, AuthMessage).
 *
 * An unknown user gets a made-up but stable salt and the normal iteration count, and fails
 * only at the proof, with the same message as a wrong password (RFC 5802 §5.1 suggests
 * this), so the exchange does not reveal which users exist. An authorization id other than
 * the user name is refused (Kafka has no proxy users); so are Kafka's delegation-token
 * extension and anything out of order.
 *
 * @example
 * ```ts
 * const server = new ScramServerExchange(SCRAM_SHA_512, lookup);
 * const first = await server.evaluate(clientFirst);  // { done: false, challenge: serverFirst }
 * const final = await server.evaluate(clientFinal);  // { done: true, challenge: serverFinal, user }
 * ```
 */
import { encodeBase64 } from "./base64.ts";
import {
  type ClientFirst,
  formatServerFinal,
  formatServerFirst,
  MAX_SCRAM_MESSAGE_BYTES,
  parseClientFinal,
  parseClientFirst,
  randomNonce,
} from "./scram-messages.ts";
import { constantTimeEqual, digest, hmac, type ScramCredential, type ScramMechanism, xor } from "./scram.ts";
import {
  type CredentialLookup,
  invalidCredentials,
  SaslAuthenticationError,
  type SaslServerExchange,
  type SaslServerStep,
  tokenText,
} from "./sasl.ts";

const encoder = new TextEncoder();

/** Per-process key for the salts of unknown users: stable within a run, unguessable. */
const UNKNOWN_USER_SALT_KEY = crypto.getRandomValues(new Uint8Array(32));

export class ScramServerExchange implements SaslServerExchange {
  readonly mechanism: SaslServerExchange["mechanism"];
  readonly #scram: ScramMechanism;
  readonly #lookup: CredentialLookup;
  #state: "first" | "final" | "done" = "first";
  #clientFirst: ClientFirst | undefined;
  #serverFirst = "";
  #nonce = "";
  #credential: ScramCredential | undefined;
  #knownUser = false;
  readonly #serverNonce: string;

  /** `serverNonce` is for tests that replay published exchanges; leave it to the default. */
  constructor(scram: ScramMechanism, lookup: CredentialLookup, serverNonce: string = randomNonce()) {
    this.mechanism = scram.name;
    this.#scram = scram;
    this.#lookup = lookup;
    this.#serverNonce = serverNonce;
  }

  async evaluate(token: Uint8Array): Promise<SaslServerStep> {
    const text = tokenText(token, this.mechanism, MAX_SCRAM_MESSAGE_BYTES);
    try {
      if (this.#state === "first") return await this.#first(text);
      if (this.#state === "final") return await this.#final(text);
    } catch (error) {
      this.#state = "done";
      if (error instanceof SaslAuthenticationError) throw error;
      // A malformed message: the parser's TypeError says what, for the log and the client.
      throw new SaslAuthenticationError(`${this.mechanism}: ${(error as Error).message}`);
    }
    throw new SaslAuthenticationError(`${this.mechanism}: unexpected message after the exchange completed`);
  }

  async #first(text: string): Promise<SaslServerStep> {
    const clientFirst = parseClientFirst(text);
    if (clientFirst.authzid !== null && clientFirst.authzid !== clientFirst.username) {
      throw new SaslAuthenticationError(
        `Authentication failed: client requested an authorization id that is different from the user name`,
      );
    }
    if (clientFirst.extensions.has("tokenauth")) {
      throw new SaslAuthenticationError(`${this.mechanism}: delegation tokens are not supported`);
    }
    const stored = this.#lookup(clientFirst.username, this.#scram.name);
    this.#knownUser = stored !== undefined;
    this.#credential = stored ?? await this.#unknownUserCredential(clientFirst.username);
    this.#clientFirst = clientFirst;
    this.#nonce = clientFirst.nonce + this.#serverNonce;
    this.#serverFirst = formatServerFirst(this.#nonce, this.#credential.salt, this.#credential.iterations);
    this.#state = "final";
    return { done: false, challenge: encoder.encode(this.#serverFirst) };
  }

  async #final(text: string): Promise<SaslServerStep> {
    const clientFirst = this.#clientFirst!;
    const credential = this.#credential!;
    const clientFinal = parseClientFinal(text);
    const expectedBinding = encoder.encode(clientFirst.gs2Header);
    if (clientFinal.channelBinding !== encodeBase64(expectedBinding)) {
      throw new SaslAuthenticationError(
        `${this.mechanism}: channel binding does not match the first message`,
      );
    }
    // Kafka accepts a final nonce that ends with the server-first one: librdkafka sends its own
    // nonce again in front of the whole server nonce (which already starts with it). The proof
    // covers the text the client sent, so this admits nothing a fresh exchange would not.
    if (!clientFinal.nonce.endsWith(this.#nonce)) {
      throw new SaslAuthenticationError(`${this.mechanism}: nonce does not match`);
    }
    const authMessage = encoder.encode(
      `${clientFirst.bare},${this.#serverFirst},${clientFinal.withoutProof}`,
    );
    const clientSignature = await hmac(this.#scram, credential.storedKey, authMessage);
    const proofOk = clientFinal.proof.length === clientSignature.length &&
      constantTimeEqual(
        await digest(this.#scram, xor(clientFinal.proof, clientSignature)),
        credential.storedKey,
      );
    this.#state = "done";
    if (!proofOk || !this.#knownUser) {
      throw invalidCredentials(
        this.mechanism,
        this.#knownUser
          ? `wrong password for "${clientFirst.username}"`
          : `unknown user "${clientFirst.username}"`,
      );
    }
    const serverSignature = await hmac(this.#scram, credential.serverKey, authMessage);
    return {
      done: true,
      challenge: encoder.encode(formatServerFinal(serverSignature)),
      user: clientFirst.username,
    };
  }

  /** A credential no password matches, with a salt that stays the same for the same name. */
  async #unknownUserCredential(user: string): Promise<ScramCredential> {
    const salt = (await hmac(this.#scram, UNKNOWN_USER_SALT_KEY, encoder.encode(user))).slice(0, 32);
    const storedKey = crypto.getRandomValues(new Uint8Array(this.#scram.keyBytes));
    return { salt, storedKey, serverKey: storedKey, iterations: this.#scram.minIterations };
  }
}
