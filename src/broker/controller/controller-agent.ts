/**
 * ControllerAgent: what every broker runs for the controller. On the broker's coordinator
 * session (the election node and /controller are tied to it, like the broker's registration) it
 * stands as a candidate, runs a Controller while elected and stops it on losing, and before a
 * clean shutdown asks the controller — itself or another broker, over the Kafka port — to move
 * this broker's leaderships away (ControlledShutdown, key 7).
 *
 * A session that expires ends the candidacy and the controllership at once (the election
 * recipe reports it lost): the broker decides what happens next.
 *
 * @example
 * ```ts
 * const agent = await ControllerAgent.start({ brokerId: 1, zk: coordination.client });
 * await agent.controlledShutdown(); // before closing the broker
 * await agent.close();
 * ```
 */
import type { ClientSecurity } from "../../client/security.ts";
import { Connection } from "../../client/connection.ts";
import { ApiKey } from "../../kafka/api-keys.ts";
import {
  readControlledShutdownResponse,
  writeControlledShutdownRequest,
} from "../../kafka/apis/controlled-shutdown.ts";
import type { ZooKeeperClient } from "../../zk/client/mod.ts";
import { brokerIdPath, CONTROLLER_PATH, decodeBrokerEndpoint } from "../zk-layout.ts";
import { Controller, type ShutdownOutcome } from "./controller.ts";
import { ControllerCandidate } from "./controller-election.ts";
import { decodeController } from "./controller-znodes.ts";
import { logLine } from "../log-lines.ts";

export interface ControllerAgentOptions {
  brokerId: number;
  /** The broker's coordinator session. */
  zk: ZooKeeperClient;
  /** Timeout of each controller-to-broker request. Default 10 s. */
  requestTimeoutMs?: number;
  /** Full re-read while controller, in case a watch was missed. Default 30 s. */
  resyncIntervalMs?: number;
  /** Controlled shutdown attempts before shutting down anyway. Default 3. */
  shutdownAttempts?: number;
  /** The automatic leader rebalance while controller; null (the default) for none. */
  autoLeaderRebalance?: { intervalMs: number; percentage: number } | null;
  log?: (message: string) => void;
  /** How to reach other brokers' inter-broker listener; undefined = PLAINTEXT. */
  security?: ClientSecurity | undefined;
}

type ResolvedAgentOptions = Required<Omit<ControllerAgentOptions, "security">> & {
  security?: ClientSecurity;
};

export class ControllerAgent {
  readonly #options: ResolvedAgentOptions;
  readonly #zk: ZooKeeperClient;
  #candidate: ControllerCandidate | null = null;
  #controller: Controller | null = null;
  #closed = false;

  private constructor(options: ResolvedAgentOptions) {
    this.#zk = options.zk;
    this.#options = options;
  }

  /** Join the election. */
  static async start(options: ControllerAgentOptions): Promise<ControllerAgent> {
    const resolved: ResolvedAgentOptions = {
      requestTimeoutMs: 10_000,
      resyncIntervalMs: 30_000,
      shutdownAttempts: 3,
      autoLeaderRebalance: null,
      log: (message) => logLine(`broker ${options.brokerId}: ${message}`),
      ...options,
      security: options.security,
    };
    const agent = new ControllerAgent(resolved);
    await agent.#stand();
    return agent;
  }

  /** The running controller when this broker is it. */
  get controller(): Controller | null {
    return this.#controller;
  }

  async #stand(): Promise<void> {
    const zk = this.#zk;
    this.#candidate = new ControllerCandidate(zk, this.#options.brokerId, {
      elected: (elected) => this.#becomeController(zk, elected.epoch, elected.epochZkVersion),
      lost: (reason) => void this.#resign(reason),
      log: this.#options.log,
    });
    await this.#candidate.start();
  }

  #becomeController(zk: ZooKeeperClient, epoch: number, epochZkVersion: number): void {
    if (this.#closed) return;
    this.#options.log(`elected controller with epoch ${epoch}`);
    const controller = new Controller(zk, {
      brokerId: this.#options.brokerId,
      epoch,
      epochZkVersion,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      resyncIntervalMs: this.#options.resyncIntervalMs,
      security: this.#options.security,
      autoLeaderRebalance: this.#options.autoLeaderRebalance ?? undefined,
      onFenced: () => void this.#standAgain(`a newer controller epoch than ${epoch} exists`),
      log: (message) => this.#options.log(`controller: ${message}`),
    });
    this.#controller = controller;
    controller.start().catch((error) => this.#options.log(`controller start failed: ${error.message}`));
  }

  /** Fenced while still first in line (should not happen): leave and rejoin the election. */
  async #standAgain(reason: string): Promise<void> {
    await this.#resign(reason);
    const candidate = this.#candidate;
    this.#candidate = null;
    await candidate?.stop();
    if (!this.#closed) await this.#stand().catch((error) => this.#options.log(`rejoining: ${error.message}`));
  }

  async #resign(reason: string): Promise<void> {
    const controller = this.#controller;
    if (!controller) return;
    this.#controller = null;
    this.#options.log(`no longer controller (epoch ${controller.epoch}): ${reason}`);
    await controller.stop();
  }

  /**
   * Ask the controller to move this broker's leaderships away; retried up to shutdownAttempts
   * times while partitions remain, skipped while the coordinator is unreachable. Never throws:
   * shutting down goes on regardless.
   */
  async controlledShutdown(): Promise<ShutdownOutcome | null> {
    const brokerId = this.#options.brokerId;
    let last: ShutdownOutcome | null = null;
    for (let attempt = 1; attempt <= this.#options.shutdownAttempts && !this.#closed; attempt++) {
      // Without the coordinator no controller can move anything, and each attempt would only
      // wait out a coordinator timeout (a minute): leaderships move when our session expires.
      if (this.#zk.state !== "connected") {
        this.#options.log(
          `controlled shutdown skipped: not connected to the coordinator (${this.#zk.state})`,
        );
        return last;
      }
      try {
        last = this.#controller
          ? await this.#controller.controlledShutdown(brokerId)
          : await this.#askRemoteController(brokerId);
        if (last.errorCode === 0 && last.remaining.length === 0) return last;
        this.#options.log(
          `controlled shutdown attempt ${attempt}: error ${last.errorCode}, ${last.remaining.length} partitions remain`,
        );
      } catch (error) {
        this.#options.log(`controlled shutdown attempt ${attempt} failed: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return last;
  }

  async #askRemoteController(brokerId: number): Promise<ShutdownOutcome> {
    const { data } = await this.#zk.getData(CONTROLLER_PATH);
    const controller = decodeController(data);
    if (controller === null) throw new Error("No controller is elected");
    const endpoint = decodeBrokerEndpoint(
      controller.brokerId,
      (await this.#zk.getData(brokerIdPath(controller.brokerId))).data,
    );
    const connection = await Connection.connect({
      host: endpoint.host,
      port: endpoint.port,
      clientId: `broker-${brokerId}-shutdown`,
      connectTimeoutMs: this.#options.requestTimeoutMs,
      // Moving leaderships takes coordinator writes and broker round trips: give it time.
      requestTimeoutMs: this.#options.requestTimeoutMs * 3,
      security: this.#options.security,
    });
    try {
      const version = connection.versionFor(ApiKey.ControlledShutdown);
      const response = await connection.request(
        ApiKey.ControlledShutdown,
        version,
        (writer) => writeControlledShutdownRequest(writer, version, { brokerId, brokerEpoch: -1 }),
        (reader) => readControlledShutdownResponse(reader, version),
      );
      return { errorCode: response.errorCode, remaining: response.remainingPartitions };
    } finally {
      connection.close();
    }
  }

  /** Leave the election (the broker then closes the session: /controller and our node vanish). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#resign("broker stopping");
    await this.#candidate?.stop();
  }
}
