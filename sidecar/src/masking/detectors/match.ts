/** A detected value inside a text: the UTF-16 index range [start, end). */
export interface Match {
  start: number;
  end: number;
}
