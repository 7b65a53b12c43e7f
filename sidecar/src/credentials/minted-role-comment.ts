/**
 * The comment on every minted role. It names who the role was minted for (read by people in
 * pg_roles) and which gate process minted it (read by the reaper). Only roles whose comment
 * starts with the marker are ever dropped by a reaper.
 */
export const MINTED_ROLE_MARKER = 'portcullis-minted ';

/** What a minted role's comment records. */
export interface MintedRoleComment {
  identity: string;
  policy: string;
  session: string;
  /** Host name of the minting gate (the pod name in Kubernetes). */
  host: string;
  /** Process id of the minting gate on that host. */
  pid: number;
}

export function formatMintedRoleComment(comment: MintedRoleComment): string {
  return MINTED_ROLE_MARKER + JSON.stringify(comment);
}

/** The comment's fields, or undefined for a comment the gate did not write. */
export function parseMintedRoleComment(text: string | null): MintedRoleComment | undefined {
  if (text === null || !text.startsWith(MINTED_ROLE_MARKER)) return undefined;
  try {
    const value = JSON.parse(text.slice(MINTED_ROLE_MARKER.length)) as Partial<MintedRoleComment>;
    if (typeof value.host !== 'string' || typeof value.pid !== 'number') return undefined;
    return {
      identity: String(value.identity),
      policy: String(value.policy),
      session: String(value.session),
      host: value.host,
      pid: value.pid,
    };
  } catch {
    return undefined;
  }
}
