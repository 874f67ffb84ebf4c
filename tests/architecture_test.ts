/**
 * The module graph keeps its shape: no import cycle inside src/broker, and the layers below the
 * broker (storage, the Kafka codecs, the wire) never import from it. Read from `deno info --json`
 * of the program and the library, type-only imports included.
 */
import assert from "node:assert/strict";

interface ModuleInfo {
  specifier: string;
  dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
}

async function moduleGraph(entry: string): Promise<Map<string, string[]>> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(`../${entry}`, import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const { modules } = JSON.parse(new TextDecoder().decode(output.stdout)) as { modules: ModuleInfo[] };
  const root = new URL("../", import.meta.url).href;
  const local = (specifier: string) => specifier.startsWith(root) ? specifier.slice(root.length) : null;
  const graph = new Map<string, string[]>();
  for (const module of modules) {
    const from = local(module.specifier);
    if (from === null) continue;
    const to = (module.dependencies ?? [])
      .flatMap((dep) => [dep.code?.specifier, dep.type?.specifier])
      .map((specifier) => specifier && local(specifier))
      .filter((path): path is string => typeof path === "string");
    graph.set(from, [...new Set(to)]);
  }
  return graph;
}

/** Cycles among the modules under `prefix` (as path lists), by depth-first search. */
function cyclesWithin(graph: Map<string, string[]>, prefix: string): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!next.startsWith(prefix)) continue;
      if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (node.startsWith(prefix) && !state.has(node)) visit(node);
  return cycles;
}

for (const entry of ["main.ts", "mod.ts"]) {
  Deno.test(`${entry}: no import cycle inside src/broker`, async () => {
    const cycles = cyclesWithin(await moduleGraph(entry), "src/broker/");
    assert.deepEqual(cycles.map((cycle) => cycle.join(" -> ")), []);
  });

  Deno.test(`${entry}: storage, kafka and wire never import from src/broker`, async () => {
    const graph = await moduleGraph(entry);
    const upward = [...graph].flatMap(([from, to]) =>
      /^src\/(storage|kafka|wire)\//.test(from)
        ? to.filter((path) => path.startsWith("src/broker/")).map((path) => `${from} -> ${path}`)
        : []
    );
    assert.deepEqual(upward, []);
  });
}
