/**
 * The disk-fault helper (tests/helpers/tmpfs.ts): a tmpfs of a fixed size really fills (ENOSPC),
 * freeing the filler gives the space back, and no mount outlives its test or a crashed run.
 */
import assert from "node:assert/strict";
import { NETNS_PEERS } from "../helpers/netns.ts";
import { peerTest } from "../helpers/peers.ts";
import { fillTmpfs, freeBytes, mountTmpfs, removeStaleTmpfs } from "../helpers/tmpfs.ts";
import { mustRun } from "../helpers/netns.ts";

const mounted = async (path: string) => (await Deno.readTextFile("/proc/mounts")).includes(` ${path} tmpfs `);

peerTest("a small tmpfs fills to ENOSPC, frees again, and is unmounted on dispose", NETNS_PEERS, async () => {
  let path = "";
  {
    await using disk = await mountTmpfs(1024 * 1024);
    path = disk.path;
    assert.ok(await mounted(path));
    const filler = await fillTmpfs(path, 8 * 1024);
    assert.ok((await freeBytes(path)) <= 8 * 1024);
    await assert.rejects(
      () => Deno.writeFile(`${path}/more`, new Uint8Array(64 * 1024)),
      (error: Error) => /No space left on device/.test(error.message),
    );
    await Deno.remove(filler);
    await Deno.writeFile(`${path}/more`, new Uint8Array(64 * 1024));
  }
  assert.equal(await mounted(path), false, "unmounted on dispose");
  assert.throws(() => Deno.statSync(path), Deno.errors.NotFound);

  // A run that crashed left a mount named after a pid that no longer runs.
  const gone = new Deno.Command("true").spawn();
  await gone.status;
  const stale = await Deno.makeTempDir({ prefix: `vltava-tmpfs-${gone.pid}-` });
  await mustRun("mount", ["-t", "tmpfs", "-o", "size=65536", "tmpfs", stale]);
  assert.deepEqual(await removeStaleTmpfs(), [stale]);
  assert.equal(await mounted(stale), false);
});
