/**
 * ControllerCandidate: this broker's place in the controller election. It creates an ephemeral
 * sequential node under /controller_election; the smallest sequence is the controller. Every
 * other candidate watches only its predecessor (no herd: the death of the controller wakes one
 * broker) and re-checks when that node goes.
 *
 * Winning: raise /controller_epoch by one with a versioned write (retrying a lost race), write
 * the ephemeral /controller {brokerid, epoch}, and report `elected` with the epoch and the
 * epoch's znode version (the token the controller's writes are fenced with).
 *
 * Losing: when the session expires or closes, or stays disconnected for the session timeout
 * (by then the server has expired it and another broker may lead), `lost` is reported at once,
 * so two controllers never act on overlapping beliefs for longer than the coordinator allows.
 */
import type { WatchEvent, ZooKeeperClient } from "../../zk/client/mod.ts";
import { ErrorCode, KeeperError } from "../../zk/protocol/mod.ts";
import { CONTROLLER_EPOCH_PATH, CONTROLLER_PATH } from "../zk-layout.ts";
import {
  CANDIDATE_PREFIX,
  candidateSequence,
  CONTROLLER_ELECTION_PATH,
  decodeController,
  decodeControllerEpoch,
  encodeController,
  encodeControllerEpoch,
} from "./controller-znodes.ts";

export interface Elected {
  epoch: number;
  epochZkVersion: number;
}

export interface CandidateEvents {
  elected: (elected: Elected) => void;
  lost: (reason: string) => void;
  log: (message: string) => void;
}

const isCode = (error: unknown, code: number) => error instanceof KeeperError && error.code === code;

/** How long a stale /controller (left by a session not yet expired) may block a new controller. */
const STALE_CONTROLLER_WAIT_MS = 60_000;

export class ControllerCandidate {
  readonly #zk: ZooKeeperClient;
  readonly #brokerId: number;
  readonly #events: CandidateEvents;
  #node: string | null = null;
  #leading = false;
  #stopped = false;
  #checking = false;
  #again = false;
  #disconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(zk: ZooKeeperClient, brokerId: number, events: CandidateEvents) {
    this.#zk = zk;
    this.#brokerId = brokerId;
    this.#events = events;
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** Join the election. */
  async start(): Promise<void> {
    this.#unsubscribe = this.#zk.sessionEvents.subscribe((event) => {
      if (event.type === "disconnected") {
        clearTimeout(this.#disconnectTimer);
        this.#disconnectTimer = setTimeout(
          () => this.#lose("disconnected from the coordinator for the session timeout"),
          this.#zk.sessionTimeoutMs,
        );
      } else if (event.type === "connected") {
        clearTimeout(this.#disconnectTimer);
        void this.#check();
      } else {
        clearTimeout(this.#disconnectTimer);
        this.#lose(event.type === "expired" ? "session expired" : "session closed");
        this.#stopped = true;
      }
    });
    await this.#zk.mkdirp(CONTROLLER_ELECTION_PATH);
    await this.#check();
  }

  #lose(reason: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#events.lost(reason);
  }

  /** Evaluate our position; serialized, and repeated when a watch fires meanwhile. */
  async #check(): Promise<void> {
    if (this.#checking) {
      this.#again = true;
      return;
    }
    this.#checking = true;
    try {
      do {
        this.#again = false;
        if (this.#stopped || this.#zk.state !== "connected") return;
        await this.#checkOnce();
      } while (this.#again && !this.#stopped);
    } catch (error) {
      // Connection loss: the reconnect triggers another check.
      if (
        !this.#stopped && !isCode(error, ErrorCode.connectionLoss) && !isCode(error, ErrorCode.sessionExpired)
      ) {
        this.#events.log(`controller election: ${(error as Error).message}`);
        setTimeout(() => void this.#check(), 1000);
      }
    } finally {
      this.#checking = false;
    }
  }

  async #checkOnce(): Promise<void> {
    const children = (await this.#zk.getChildren(CONTROLLER_ELECTION_PATH))
      .filter((name) => name.startsWith(CANDIDATE_PREFIX) && candidateSequence(name) >= 0)
      .sort((a, b) => candidateSequence(a) - candidateSequence(b));
    const mine = this.#node === null ? -1 : children.indexOf(this.#node);
    if (mine < 0) {
      this.#lose("our election node is gone");
      const path = await this.#zk.create(
        `${CONTROLLER_ELECTION_PATH}/${CANDIDATE_PREFIX}`,
        String(this.#brokerId),
        { ephemeral: true, sequential: true },
      );
      this.#node = path.slice(path.lastIndexOf("/") + 1);
      this.#again = true;
      return;
    }
    if (mine === 0) {
      if (this.#leading) return;
      const elected = await this.#becomeController();
      if (elected === null) return;
      this.#leading = true;
      this.#events.elected(elected);
      return;
    }
    const predecessor = `${CONTROLLER_ELECTION_PATH}/${children[mine - 1]}`;
    this.#lose("another candidate leads");
    const stat = await this.#zk.exists(predecessor, (_event: WatchEvent) => void this.#check());
    if (stat === null) this.#again = true;
  }

  /** Raise the epoch and claim /controller; null when our node vanished meanwhile. */
  async #becomeController(): Promise<Elected | null> {
    const { epoch, epochZkVersion } = await this.#raiseEpoch();
    const deadline = Date.now() + STALE_CONTROLLER_WAIT_MS;
    for (;;) {
      try {
        await this.#zk.create(CONTROLLER_PATH, encodeController({ brokerId: this.#brokerId, epoch }), {
          ephemeral: true,
        });
        return { epoch, epochZkVersion };
      } catch (error) {
        if (!isCode(error, ErrorCode.nodeExists)) throw error;
      }
      // A previous controller's session still holds /controller; it goes when that session expires.
      const { data, stat } = await this.#zk.getData(CONTROLLER_PATH).catch(() => ({
        data: null,
        stat: null,
      }));
      if (stat && stat.ephemeralOwner === this.#zk.sessionId) {
        await this.#zk.setData(
          CONTROLLER_PATH,
          encodeController({ brokerId: this.#brokerId, epoch }),
          stat.version,
        );
        return { epoch, epochZkVersion };
      }
      if (Date.now() > deadline) {
        throw new Error(`/controller is still held by ${JSON.stringify(decodeController(data))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (this.#stopped) return null;
    }
  }

  async #raiseEpoch(): Promise<Elected> {
    for (let attempt = 0; attempt < 100; attempt++) {
      let current: { data: Uint8Array | null; stat: { version: number } } | null = null;
      try {
        current = await this.#zk.getData(CONTROLLER_EPOCH_PATH);
      } catch (error) {
        if (!isCode(error, ErrorCode.noNode)) throw error;
      }
      try {
        if (current === null) {
          await this.#zk.create(CONTROLLER_EPOCH_PATH, encodeControllerEpoch(1));
          return { epoch: 1, epochZkVersion: 0 };
        }
        const epoch = decodeControllerEpoch(current.data) + 1;
        const stat = await this.#zk.setData(
          CONTROLLER_EPOCH_PATH,
          encodeControllerEpoch(epoch),
          current.stat.version,
        );
        return { epoch, epochZkVersion: stat.version };
      } catch (error) {
        if (!isCode(error, ErrorCode.nodeExists) && !isCode(error, ErrorCode.badVersion)) throw error;
      }
    }
    throw new Error("Could not raise /controller_epoch: too many concurrent writers");
  }

  /** Leave the election (our node and /controller go with the session's close or here). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#disconnectTimer);
    this.#unsubscribe?.();
    this.#lose("stopped");
    if (this.#zk.state !== "connected") return;
    if (this.#node) await this.#zk.delete(`${CONTROLLER_ELECTION_PATH}/${this.#node}`).catch(() => {});
  }
}
