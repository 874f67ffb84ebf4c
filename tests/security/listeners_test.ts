import assert from "node:assert/strict";
import {
  endpointString,
  parseListenerList,
  parseProtocolMap,
  resolveListeners,
  usesSasl,
  usesTls,
} from "../../src/security/listeners.ts";

Deno.test("--host/--port alone make the PLAINTEXT listener", () => {
  const config = resolveListeners({ host: "127.0.0.1", port: 9092 });
  assert.deepEqual(config.listeners, [{
    name: "PLAINTEXT",
    host: "127.0.0.1",
    port: 9092,
    protocol: "PLAINTEXT",
  }]);
  assert.deepEqual(config.advertised, config.listeners);
  assert.equal(config.interBrokerListener, "PLAINTEXT");
});

Deno.test("Listener names equal to protocols map to them; others need the map", () => {
  const config = resolveListeners({
    listeners: "PLAINTEXT://127.0.0.1:9092,sasl_ssl://:9093,client://[::1]:9094,Replication://0.0.0.0:0",
    protocolMap: "CLIENT:SASL_PLAINTEXT,replication:ssl",
    advertisedHost: "broker1.example.com",
  });
  assert.deepEqual(config.listeners.map((l) => `${endpointString(l)} ${l.protocol}`), [
    "PLAINTEXT://127.0.0.1:9092 PLAINTEXT",
    "SASL_SSL://:9093 SASL_SSL",
    "CLIENT://[::1]:9094 SASL_PLAINTEXT",
    "REPLICATION://0.0.0.0:0 SSL",
  ]);
  // Wildcard hosts advertise --advertised-host; others advertise themselves.
  assert.deepEqual(config.advertised.map(endpointString), [
    "PLAINTEXT://127.0.0.1:9092",
    "SASL_SSL://broker1.example.com:9093",
    "CLIENT://[::1]:9094",
    "REPLICATION://broker1.example.com:0",
  ]);
  assert.equal(config.interBrokerListener, "PLAINTEXT");
  // The map may remap a protocol-named listener too.
  assert.equal(
    resolveListeners({ listeners: "SSL://:1", protocolMap: "SSL:SASL_SSL" }).listeners[0].protocol,
    "SASL_SSL",
  );
});

Deno.test("Advertised listeners and the inter-broker listener", () => {
  const config = resolveListeners({
    listeners: "EXTERNAL://:9093,INTERNAL://10.0.0.5:9094",
    protocolMap: "EXTERNAL:SASL_SSL,INTERNAL:SASL_PLAINTEXT",
    advertisedListeners: "EXTERNAL://kafka.example.com:443",
    interBrokerListener: "internal",
  });
  assert.deepEqual(config.advertised.map((l) => `${endpointString(l)} ${l.protocol}`), [
    "EXTERNAL://kafka.example.com:443 SASL_SSL",
    "INTERNAL://10.0.0.5:9094 SASL_PLAINTEXT",
  ]);
  assert.equal(config.interBrokerListener, "INTERNAL");
  assert.equal(resolveListeners({ listeners: "SSL://:1" }).interBrokerListener, "SSL");
});

Deno.test("Listener mistakes are TypeErrors that say what to write", () => {
  const refuse = (options: Parameters<typeof resolveListeners>[0], pattern: RegExp) =>
    assert.throws(
      () => resolveListeners(options),
      (error: Error) => error instanceof TypeError && pattern.test(error.message),
    );
  refuse(
    { listeners: "CLIENT://:9093" },
    /add it to --listener-security-protocol-map, e\.g\. CLIENT:SASL_SSL/,
  );
  refuse({ listeners: "PLAINTEXT://:9092,PLAINTEXT://:9093" }, /given twice/);
  refuse({ listeners: "PLAINTEXT://:9092,SSL://:9092" }, /both use port 9092/);
  refuse({ listeners: "PLAINTEXT//:9092" }, /is not NAME:\/\/HOST:PORT/);
  refuse({ listeners: "PLAINTEXT://:99999" }, /above 65535/);
  refuse({ listeners: "" }, /is empty/);
  refuse(
    { listeners: "A://:1", protocolMap: "A:TLS" },
    /PROTOCOL one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL/,
  );
  refuse({ listeners: "A://:1", protocolMap: "A:SSL,a:SSL" }, /mapped twice/);
  refuse({ listeners: "SSL://:1", advertisedListeners: "PLAINTEXT://h:1" }, /not in --listeners \(SSL\)/);
  refuse({ listeners: "SSL://:1", advertisedListeners: "SSL://0.0.0.0:1" }, /host clients can reach/);
  refuse({ listeners: "SSL://:1,SASL_SSL://:2" }, /--inter-broker-listener \(SSL, SASL_SSL\)/);
  refuse({ listeners: "SSL://:1", interBrokerListener: "OTHER" }, /not one of the listeners \(SSL\)/);
  assert.throws(() => parseListenerList("bad name://:1", "--listeners"), TypeError);
  assert.deepEqual([...parseProtocolMap("")], []);
});

Deno.test("Protocols say whether they use TLS and SASL", () => {
  assert.deepEqual(
    (["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] as const).map((p) => [usesTls(p), usesSasl(p)]),
    [[false, false], [true, false], [false, true], [true, true]],
  );
});
