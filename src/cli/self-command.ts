/**
 * How this program starts another copy of itself (for `vltava dev`): the compiled binary
 * runs itself directly; under `deno run` the same main module runs with the same runtime.
 */
export function selfCommand(): string[] {
  const exec = Deno.execPath();
  const isDenoRuntime = /(^|\/)deno(\.exe)?$/.test(exec);
  if (!isDenoRuntime) return [exec];
  const main = new URL("../../main.ts", import.meta.url);
  return [exec, "run", "-A", "--quiet", main.protocol === "file:" ? main.pathname : main.href];
}
