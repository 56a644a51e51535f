/** Where sso-sync keeps its own state (logs, backups, registrations, locks, state.json). */
import os from 'node:os';
import path from 'node:path';

/** sso-sync's state directory: `$XDG_STATE_HOME/sso-sync`, else `~/.local/state/sso-sync`. */
export function stateDir(env: NodeJS.ProcessEnv): string {
  const home = env.HOME || os.homedir();
  return path.join(env.XDG_STATE_HOME || path.join(home, '.local', 'state'), 'sso-sync');
}
