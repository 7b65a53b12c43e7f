/**
 * True when writing `next` would change the status the API server holds. Compares JSON of the
 * fields next sets, so a status is only written when something a reader sees would change.
 */
export function statusChanged(
  current: Record<string, unknown> | undefined,
  next: Record<string, unknown>,
): boolean {
  return Object.entries(next).some(
    ([field, value]) => JSON.stringify(current?.[field]) !== JSON.stringify(value),
  );
}
