/** A detected value inside a text: the UTF-16 index range [start, end). */
export interface Match {
  start: number;
  end: number;
}

/** Does text hold at least `count` ASCII digits? A detector's cheap test before its scan. */
export function hasDigits(text: string, count: number): boolean {
  let seen = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57 && ++seen >= count) return true;
  }
  return false;
}
