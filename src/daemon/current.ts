/** What the daemon works with now: its settings, the sessions they cover, the keeper built from them. */
import type { TokenRefresher } from '../auth/token-keeper.js';
import type { SessionDef } from '../core/types.js';
import type { Settings } from '../settings/schema.js';

/** The daemon's settings, sessions and token keeper; a reload replaces them, a new sso-session adds to them. */
export class Current {
  constructor(
    public settings: Settings,
    public sessions: SessionDef[],
    public keeper: TokenRefresher,
  ) {}

  /** The names of the sessions synced now. */
  names(): string[] {
    return this.sessions.map((s) => s.name);
  }

  /** The session of that name, if it is synced now. */
  session(name: string): SessionDef | undefined {
    return this.sessions.find((s) => s.name === name);
  }
}
