/**
 * Znode path arithmetic that the client (chroot, recipes, `zk` commands) and the coordinator's
 * tree both do, written once: parent, child and last component of an absolute path. Validation
 * stays with each side (the client fails fast with its own messages, the server answers as
 * ZooKeeper's PathUtils does).
 *
 * @example
 * ```ts
 * parentPath("/a/b"); // "/a"
 * joinPath("/a", "b"); // "/a/b"
 * baseName("/a/b"); // "b"
 * ```
 */

/** "/a/b/c" → "/a/b"; "/a" → "/". */
export function parentPath(path: string): string {
  const index = path.lastIndexOf("/");
  return index <= 0 ? "/" : path.slice(0, index);
}

/** "/a/b" + "c" → "/a/b/c"; "/" + "c" → "/c". */
export function joinPath(parent: string, child: string): string {
  return parent === "/" ? `/${child}` : `${parent}/${child}`;
}

/** The last component: "/a/b" → "b". */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
