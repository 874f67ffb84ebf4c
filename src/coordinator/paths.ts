/**
 * Znode path rules, as the real server enforces them (PathUtils.validatePath): absolute, no
 * empty, "." or ".." components, no trailing "/", no NUL or control/reserved characters.
 */

/** Why `path` is not a valid znode path, or undefined when it is. */
export function invalidPathReason(path: string): string | undefined {
  if (path.length === 0) return "Path length must be > 0";
  if (path.charCodeAt(0) !== 0x2f) return "Path must start with / character";
  if (path.length === 1) return undefined;
  if (path.charCodeAt(path.length - 1) === 0x2f) return "Path must not end with / character";
  let previous = 0x2f;
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0) return `Null character not allowed at ${i}`;
    if (c === 0x2f && previous === 0x2f) return `Empty node name specified at ${i}`;
    if (
      c === 0x2e && previous === 0x2e && path.charCodeAt(i - 2) === 0x2f &&
      (i + 1 === path.length || path.charCodeAt(i + 1) === 0x2f)
    ) {
      return `Relative paths not allowed at ${i}`;
    }
    if (c === 0x2e && previous === 0x2f && (i + 1 === path.length || path.charCodeAt(i + 1) === 0x2f)) {
      return `Relative paths not allowed at ${i}`;
    }
    if (
      (c > 0 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) ||
      (c >= 0xfff0 && c <= 0xffff)
    ) {
      return `Invalid character at ${i}`;
    }
    previous = c;
  }
  return undefined;
}
