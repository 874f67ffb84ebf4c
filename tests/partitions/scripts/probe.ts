/**
 * A network probe the netns tests start inside a namespace, to see what a cut lets through:
 *   connect HOST PORT TIMEOUT_MS     prints "connected", "timeout" or "error: <name>"
 *   listen-tcp HOST PORT             accepts and closes connections; prints "listening"
 *   listen-udp HOST PORT             prints "listening", then "got <text>" per datagram
 *   send-udp HOST PORT TEXT COUNT    sends TEXT COUNT times, 50 ms apart
 * UDP shows one-way cuts (TCP needs both directions for its handshake).
 */
import dgram from "node:dgram";

const [mode, host, portText, ...rest] = Deno.args;
const port = Number(portText);

async function connect(timeoutMs: number): Promise<void> {
  const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), timeoutMs));
  const attempt = Deno.connect({ hostname: host, port }).then(
    (conn) => {
      conn.close();
      return "connected";
    },
    (error: Error) => `error: ${error.name}`,
  );
  console.log(await Promise.race([attempt, timer]));
  Deno.exit(0); // a connect hanging on a dropped SYN would otherwise keep the process alive
}

switch (mode) {
  case "connect":
    await connect(Number(rest[0]));
    break;
  case "listen-tcp": {
    const listener = Deno.listen({ hostname: host, port });
    console.log("listening");
    for await (const conn of listener) conn.close();
    break;
  }
  case "listen-udp": {
    const socket = dgram.createSocket("udp4");
    socket.on("message", (message) => console.log(`got ${new TextDecoder().decode(message)}`));
    socket.bind(port, host, () => console.log("listening"));
    break;
  }
  case "send-udp": {
    const socket = dgram.createSocket("udp4");
    for (let i = 0; i < Number(rest[1]); i++) {
      socket.send(rest[0], port, host);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    socket.close();
    break;
  }
  default:
    console.error(`error: unknown probe mode "${mode}"`);
    Deno.exit(2);
}
