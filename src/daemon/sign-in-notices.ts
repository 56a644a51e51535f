/** The desktop notification that sign-in is required: once per session, until a new token for it appears. */

/** Tells the person once per session that sign-in is required; a new token makes the next one tell again. */
export class SignInNotices {
  private readonly told = new Set<string>();

  constructor(private readonly notify: (title: string, text: string) => void) {}

  /** Notifies, unless the person was already told since the session's last new token. */
  required(session: string): void {
    if (this.told.has(session)) return;
    this.told.add(session);
    this.notify('sso-sync: sign-in required', `sso-session ${session}: run sso-sync login --session ${session}`);
  }

  /** A new token appeared (a sign-in): the next sign-in required is told again. */
  reset(session: string): void {
    this.told.delete(session);
  }
}
