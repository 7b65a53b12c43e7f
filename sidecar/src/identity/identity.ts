/** Who is calling: the pod's own service account, or a person or job holding an OIDC token. */
export interface Identity {
  kind: 'serviceAccount' | 'oidc';
  /** system:serviceaccount:NS:NAME, or the value of the subject's usernameClaim. */
  name: string;
  /** The token's iss, for kind oidc. */
  issuer?: string;
  groups: string[];
  /** Every claim of the verified token; never logged whole, it may hold personal data. */
  claims: Record<string, unknown>;
}

/** Turns what a client presented at startup into an Identity, or refuses it. */
export interface Authenticator {
  /** Does any policy for this data source admit OIDC callers? Then the gate asks for a password. */
  needsPassword(dataSource: string): boolean;
  /**
   * Identifies the caller of one session. `password` is undefined when none was asked.
   * Throws GateError 28P01 for a token that does not verify, 28000 for an identity no policy
   * for the data source admits.
   */
  authenticate(input: AuthenticationInput): Promise<Identity>;
}

/** What the session knows about its caller when it authenticates. */
export interface AuthenticationInput {
  dataSource: string;
  /** The user name from the startup message; informative only, never trusted. */
  user: string;
  password: string | undefined;
}

/** A short description of an identity that is safe to log and to show the client. */
export function describeIdentity(identity: Identity): string {
  if (identity.kind === 'serviceAccount') return identity.name;
  return `${identity.name} (issuer ${identity.issuer ?? 'unknown'})`;
}
