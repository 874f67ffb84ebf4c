/**
 * ControllerCandidate: this broker's place in the controller election, on the ZooKeeper
 * leader-election recipe (src/zk/recipes): an ephemeral sequential node under
 * /controller_election; the smallest sequence is the controller; every other candidate watches
 * only its predecessor (no herd: the death of the controller wakes one broker).
 *
 * Winning: raise /controller_epoch by one with a versioned write (retrying a lost race), write
 * the ephemeral /controller {brokerid, epoch}, and report `elected` with the epoch and the
 * epoch's znode version (the token the controller's writes are fenced with).
 *
 * Losing: the recipe reports it when the session expires or closes, when our node is deleted,
 * or after a disconnection as long as the session timeout (by then the server has expired the
 * session and another broker may lead); `lost` is reported at once, so two controllers never act
 * on overlapping beliefs for longer than the coordinator allows.
 */
import type { ZooKeeperClient } from "../../zk/client/mod.ts";
import { LeaderElection } from "../../zk/recipes/mod.ts";
import { ErrorCode, KeeperError } from "../../zk/protocol/mod.ts";
import { CONTROLLER_EPOCH_PATH, CONTROLLER_PATH } from "../zk-layout.ts";
import {
  CANDIDATE_PREFIX,
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
  readonly #election: LeaderElection;
  #leading = false;
  #stopped = false;
  #unsubscribe: (() => void) | undefined;

  constructor(zk: ZooKeeperClient, brokerId: number, events: CandidateEvents) {
    this.#zk = zk;
    this.#brokerId = brokerId;
    this.#events = events;
    this.#election = new LeaderElection(zk, CONTROLLER_ELECTION_PATH, {
      data: String(brokerId),
      prefix: CANDIDATE_PREFIX,
    });
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** Join the election. */
  async start(): Promise<void> {
    this.#unsubscribe = this.#election.events.subscribe((event) => {
      if (event.type === "elected") void this.#claim();
      else if (event.type === "lost") this.#lose(event.reason);
    });
    await this.#election.start();
  }

  /** First in line: take the epoch and /controller, unless leadership was lost meanwhile. */
  async #claim(): Promise<void> {
    try {
      const elected = await this.#becomeController();
      if (elected === null || this.#stopped || !this.#election.isLeader || this.#leading) return;
      this.#leading = true;
      this.#events.elected(elected);
    } catch (error) {
      if (this.#stopped || !this.#election.isLeader) return;
      this.#events.log(`controller election: ${(error as Error).message}; retrying`);
      setTimeout(() => void this.#claim(), 1000);
    }
  }

  #lose(reason: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#events.lost(reason);
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
      if (this.#stopped || !this.#election.isLeader) return null;
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
    this.#unsubscribe?.();
    this.#lose("stopped");
    await this.#election.stop();
  }
}
