// Glob patterns (`*`, `?`) become SQL LIKE patterns so the database narrows a feed query; the caller re-checks
// with the exact glob matcher, which also covers `[...]` classes LIKE cannot express.

/** Returns a LIKE pattern (escape character `\`) that matches a superset of what `glob` matches. */
export function globToLike(glob: string): string {
  let like = '';
  let inClass = false;
  for (const char of glob) {
    if (inClass) {
      if (char === ']') inClass = false;
      continue;
    }
    if (char === '[') {
      inClass = true;
      like += '_';
    } else if (char === '*') like += '%';
    else if (char === '?') like += '_';
    else if (char === '%' || char === '_' || char === '\\') like += '\\' + char;
    else like += char;
  }
  return like.replace(/%+/g, '%');
}

/** True when `glob` has no wildcard, so an equality test is exact. */
export function isLiteral(glob: string): boolean {
  return !/[*?[]/.test(glob);
}
