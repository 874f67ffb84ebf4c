/**
 * Znode paths on the client side: validation before anything goes on the wire (so a typo fails
 * fast with a clear message rather than a BADARGUMENTS round trip) and the chroot mapping. With
 * chroot "/app", the client's "/x" is the server's "/app/x" and the client's "/" is "/app"; paths
 * coming back (created names, events, ephemerals) have the prefix stripped again. The path
 * arithmetic shared with the coordinator lives in ../protocol/paths.ts and is re-exported here.
 */
export { baseName, joinPath, parentPath } from "../protocol/paths.ts";

/**
 * Throw TypeError unless path is a valid znode path: starts with "/", no empty component, no
 * trailing "/" (except "/" itself), no "." or ".." component, no NUL or control characters.
 * With `sequential`, a trailing "/" is allowed (the server appends the counter).
 */
export function validatePath(path: string, sequential = false): void {
  if (typeof path !== "string" || path.length === 0) throw new TypeError("Path must be a non-empty string");
  if (path[0] !== "/") throw new TypeError(`Path must start with "/": "${path}"`);
  if (path === "/") return;
  const body = sequential && path.endsWith("/") ? path.slice(0, -1) + "x" : path;
  if (body.endsWith("/")) throw new TypeError(`Path must not end with "/": "${path}"`);
  for (const component of body.slice(1).split("/")) {
    if (component === "") throw new TypeError(`Path has an empty component: "${path}"`);
    if (component === "." || component === "..") {
      throw new TypeError(`Path has a relative component: "${path}"`);
    }
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\ud800-\uf8ff\ufff0-\uffff]/.test(path)) {
    throw new TypeError(`Path has a character ZooKeeper rejects: ${JSON.stringify(path)}`);
  }
}

/** Client path → server path. */
export function prependChroot(chroot: string, path: string): string {
  if (chroot === "") return path;
  return path === "/" ? chroot : chroot + path;
}

/** Server path → client path (paths outside the chroot are returned unchanged). */
export function stripChroot(chroot: string, path: string): string {
  if (chroot === "") return path;
  if (path === chroot) return "/";
  if (path.startsWith(chroot + "/")) return path.slice(chroot.length);
  return path;
}
