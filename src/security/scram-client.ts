/**
 * The client side of one SCRAM exchange (RFC 5802 §3): client-first with a fresh nonce; on
 * server-first, check that the server's nonce extends ours, that the salt is there and the
 * iteration count lies within the mechanism's bounds (a hostile server could otherwise make
 * the client burn CPU, or weaken the proof with a tiny count), then send the proof; on
 * server-final, check the server's signature in constant time, so the client knows it talked
 * to a server that holds the user's credential.
 *
 * @example
 * ```ts
 * const client = new ScramClientExchange(SCRAM_SHA_512, "alice", "secret");
 * send(client.initialToken());
 * send(await client.evaluate(serverFirst));
 * await client.evaluate(serverFinal); // null; throws if the server's signature is wrong
 * ```
 */
import {
  formatClientFinal,
  formatClientFinalWithoutProof,
  formatClientFirst,
  MAX_SCRAM_MESSAGE_BYTES,
  parseServerFinal,
  parseServerFirst,
  randomNonce,
} from "./scram-messages.ts";
import {
  clientKey,
  constantTimeEqual,
  digest,
  hmac,
  saltedPassword,
  type ScramMechanism,
  serverKey,
  xor,
} from "./scram.ts";
import { SaslAuthenticationError, type SaslClientExchange, tokenText } from "./sasl.ts";

const encoder = new TextEncoder();
const GS2_HEADER = "n,,";

export class ScramClientExchange implements SaslClientExchange {
  readonly mechanism: SaslClientExchange["mechanism"];
  readonly #scram: ScramMechanism;
  readonly #password: string;
  readonly #nonce: string;
  readonly #clientFirstBare: string;
  #state: "first" | "final" | "done" = "first";
  #expectedServerSignature: Uint8Array | undefined;

  constructor(scram: ScramMechanism, username: string, password: string, nonce: string = randomNonce()) {
    this.mechanism = scram.name;
    this.#scram = scram;
    this.#password = password;
    this.#nonce = nonce;
    this.#clientFirstBare = formatClientFirst(username, nonce).slice(GS2_HEADER.length);
  }

  get complete(): boolean {
    return this.#state === "done";
  }

  initialToken(): Uint8Array {
    return encoder.encode(GS2_HEADER + this.#clientFirstBare);
  }

  async evaluate(challenge: Uint8Array): Promise<Uint8Array | null> {
    const text = tokenText(challenge, this.mechanism, MAX_SCRAM_MESSAGE_BYTES);
    try {
      if (this.#state === "first") return await this.#answerServerFirst(text);
      if (this.#state === "final") {
        this.#checkServerFinal(text);
        return null;
      }
    } catch (error) {
      this.#state = "done";
      if (error instanceof SaslAuthenticationError) throw error;
      throw new SaslAuthenticationError(`${this.mechanism}: ${(error as Error).message}`);
    }
    throw new SaslAuthenticationError(`${this.mechanism}: the server sent more after the exchange completed`);
  }

  async #answerServerFirst(text: string): Promise<Uint8Array> {
    const serverFirst = parseServerFirst(text);
    if (!serverFirst.nonce.startsWith(this.#nonce) || serverFirst.nonce.length === this.#nonce.length) {
      throw new SaslAuthenticationError(`${this.mechanism}: the server's nonce does not extend ours`);
    }
    const { minIterations, maxIterations } = this.#scram;
    if (serverFirst.iterations < minIterations || serverFirst.iterations > maxIterations) {
      throw new SaslAuthenticationError(
        `${this.mechanism}: the server asks for ${serverFirst.iterations} iterations, outside ${minIterations}–${maxIterations}`,
      );
    }
    const salted = await saltedPassword(
      this.#scram,
      this.#password,
      serverFirst.salt,
      serverFirst.iterations,
    );
    const withoutProof = formatClientFinalWithoutProof(GS2_HEADER, serverFirst.nonce);
    const authMessage = encoder.encode(`${this.#clientFirstBare},${serverFirst.text},${withoutProof}`);
    const key = await clientKey(this.#scram, salted);
    const clientSignature = await hmac(this.#scram, await digest(this.#scram, key), authMessage);
    this.#expectedServerSignature = await hmac(
      this.#scram,
      await serverKey(this.#scram, salted),
      authMessage,
    );
    this.#state = "final";
    return encoder.encode(formatClientFinal(withoutProof, xor(key, clientSignature)));
  }

  #checkServerFinal(text: string): void {
    const serverFinal = parseServerFinal(text);
    this.#state = "done";
    if ("error" in serverFinal) {
      throw new SaslAuthenticationError(`${this.mechanism}: the server refused: ${serverFinal.error}`);
    }
    if (!constantTimeEqual(serverFinal.verifier, this.#expectedServerSignature!)) {
      throw new SaslAuthenticationError(
        `${this.mechanism}: the server's signature is wrong (it does not hold this user's credential)`,
      );
    }
  }
}
