/** Where a gate session is in its life; each phase only moves forward. */
export const SessionPhase = {
  /** Reading the startup packet (and refusing SSL/GSS encryption requests). */
  startup: 'startup',
  /** Asking for and checking the caller's token, then deciding the policy. */
  authenticating: 'authenticating',
  /** Minting the role and logging in upstream. */
  connecting: 'connecting',
  /** Relaying messages both ways. */
  relaying: 'relaying',
  /** Closing sockets and dropping the minted role. */
  ending: 'ending',
  ended: 'ended',
} as const;

export type SessionPhase = (typeof SessionPhase)[keyof typeof SessionPhase];
