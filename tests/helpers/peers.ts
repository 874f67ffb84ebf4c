/**
 * Tests that need a third-party peer (a Debian package or a Java runtime) declare it here.
 * When the peer is missing the test is reported as ignored with the reason printed; with
 * VLTAVA_COMPAT=require (CI) a missing peer fails the test instead of skipping it.
 */
const required = Deno.env.get("VLTAVA_COMPAT") === "require";

/** Is an executable on PATH (or an absolute path that exists)? */
export function hasExecutable(name: string): boolean {
  if (name.startsWith("/")) {
    try {
      return Deno.statSync(name).isFile;
    } catch {
      return false;
    }
  }
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return true;
    } catch { /* not here */ }
  }
  return false;
}

export interface Peer {
  /** What to tell a developer who lacks it, e.g. "apt-get install kcat". */
  install: string;
  available: boolean;
}

/** Register a test that needs peers. */
export function peerTest(
  name: string,
  peers: Peer[],
  fn: (t: Deno.TestContext) => Promise<void>,
  options: { sanitizeResources?: boolean; sanitizeOps?: boolean } = {},
): void {
  const missing = peers.filter((peer) => !peer.available);
  if (missing.length > 0 && !required) {
    console.log(`skipping "${name}": needs ${missing.map((peer) => peer.install).join(", ")}`);
    Deno.test({
      name: `${name} (skipped: needs ${missing.map((p) => p.install).join(", ")})`,
      ignore: true,
      fn,
    });
    return;
  }
  Deno.test({
    name,
    sanitizeResources: options.sanitizeResources ?? false,
    sanitizeOps: options.sanitizeOps ?? false,
    fn: async (t) => {
      if (missing.length > 0) {
        throw new Error(
          `VLTAVA_COMPAT=require but missing: ${missing.map((peer) => peer.install).join(", ")}`,
        );
      }
      await fn(t);
    },
  });
}

/**
 * A python3 that can import kazoo: the one on PATH, or Debian's /usr/bin/python3 when another
 * interpreter (pyenv, say) comes first on PATH without Debian's packages.
 */
export const KAZOO_PYTHON: string | undefined = ["python3", "/usr/bin/python3"].find((python) =>
  (python.startsWith("/") || hasExecutable(python)) && hasPythonModule(python, "kazoo")
);

export const PEERS = {
  zookeeper: {
    install: "apt-get install zookeeper (ZooKeeper 3.8 server and zkCli.sh)",
    available: hasExecutable("/usr/share/zookeeper/bin/zkServer.sh") && hasExecutable("java"),
  },
  kazoo: {
    install: "apt-get install python3-kazoo",
    available: KAZOO_PYTHON !== undefined,
  },
  kcat: { install: "apt-get install kcat", available: hasExecutable("kcat") },
  redis: { install: "apt-get install redis-server", available: hasExecutable("redis-server") },
  promtool: { install: "apt-get install prometheus (for promtool)", available: hasExecutable("promtool") },
  chromium: { install: "apt-get install chromium", available: hasExecutable("/usr/bin/chromium") },
} satisfies Record<string, Peer>;

function hasPythonModule(python: string, module: string): boolean {
  try {
    const result = new Deno.Command(python, {
      args: ["-c", `import ${module}`],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    return result.success;
  } catch {
    return false;
  }
}
