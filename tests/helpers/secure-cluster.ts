/**
 * A secured test cluster: test certificates (test-certs.ts), SCRAM users created straight in
 * the coordinator before any broker starts (`vltava user create --coordinator`, as an operator
 * would bootstrap the first users), and brokers started with the listener flags a test gives.
 * Everything is stopped and removed when the test ends (`await using`).
 *
 * @example
 * ```ts
 * await using secure = await startSecureCluster({ users: { alice: "pw" },
 *   listeners: (id, port, free) => [`PLAINTEXT://127.0.0.1:${port}`, `SASL_SSL://127.0.0.1:${free(0)}`] });
 * ```
 */
import type { ClientSecurity } from "../../src/client/security.ts";
import { startCluster, type TestCluster } from "./cluster.ts";
import { freePorts, runCli } from "./program.ts";
import { makeTestCertificates, type TestCertificates } from "./test-certs.ts";

export interface SecureClusterOptions {
  brokers?: number;
  /** user → password; each gets SCRAM-SHA-256 and SCRAM-SHA-512 credentials. */
  users?: Record<string, string>;
  /** Client certificate names to make (subject CN=<name>,O=Vltava Test). */
  clientCertificates?: string[];
  /**
   * The broker's --listeners entries; `port` is the port clients bootstrap from, `extra(i)` a
   * free port of this broker's own (the same i gives the same port).
   */
  listeners: (id: number, port: number, extra: (i: number) => number) => string[];
  /** More `broker start` flags (after --tls-cert/--tls-key/--tls-ca, which are always given). */
  brokerArgs?: string[];
  /** Kafka client properties for --inter-broker-config (written next to the certificates). */
  interBrokerProperties?: (certs: TestCertificates) => string;
  /** How the fixture's own clients connect to the bootstrap port. */
  clientSecurity?: (certs: TestCertificates) => ClientSecurity | undefined;
}

/** Listeners: PLAINTEXT on the bootstrap port (for set-up) and SASL_PLAINTEXT on extra port 0. */
export const PLAINTEXT_AND_SASL_PLAINTEXT: SecureClusterOptions["listeners"] = (_id, port, extra) => [
  `PLAINTEXT://127.0.0.1:${port}`,
  `SASL_PLAINTEXT://127.0.0.1:${extra(0)}`,
];

export interface SecureCluster extends AsyncDisposable {
  cluster: TestCluster;
  certs: TestCertificates;
  /** The extra port `i` of broker `id`. */
  port(id: number, i: number): number;
}

export async function startSecureCluster(options: SecureClusterOptions): Promise<SecureCluster> {
  const certs = await makeTestCertificates({ clients: options.clientCertificates ?? [] });
  const extraPorts = new Map<number, number[]>();
  const interBroker: string[] = [];
  if (options.interBrokerProperties !== undefined) {
    const file = `${certs.dir}/inter-broker.properties`;
    await Deno.writeTextFile(file, options.interBrokerProperties(certs));
    interBroker.push("--inter-broker-config", file);
  }
  const port = (id: number, i: number) => {
    let ports = extraPorts.get(id);
    if (ports === undefined) extraPorts.set(id, ports = freePorts(8));
    return ports[i];
  };
  try {
    const cluster = await startCluster({
      brokers: options.brokers ?? 1,
      brokerArgs: [
        "--tls-cert",
        certs.server.certFile,
        "--tls-key",
        certs.server.keyFile,
        "--tls-ca",
        certs.caFile,
        ...interBroker,
        ...(options.brokerArgs ?? []),
      ],
      brokerArgsFor: (id, bootstrapPort) => [
        "--listeners",
        options.listeners(id, bootstrapPort, (i) => port(id, i)).join(","),
      ],
      clientSecurity: options.clientSecurity?.(certs),
      beforeBrokers: async (cluster) => {
        for (const [user, password] of Object.entries(options.users ?? {})) {
          const created = await runCli([
            "user",
            "create",
            user,
            "--coordinator",
            cluster.coordinatorAddress,
            "--mechanism",
            "SCRAM-SHA-256",
            "--mechanism",
            "SCRAM-SHA-512",
            "--password",
            password,
          ]);
          if (created.code !== 0) throw new Error(`user create ${user}: ${created.stderr}`);
        }
      },
    });
    return {
      cluster,
      certs,
      port,
      async [Symbol.asyncDispose]() {
        await cluster[Symbol.asyncDispose]();
        await certs[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await certs[Symbol.asyncDispose]();
    throw error;
  }
}
