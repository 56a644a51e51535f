/**
 * What the commands share at the edge: the logger of a run (a terminal's readable lines, or JSON) and the token
 * keeper. Apart from commands.ts, so that `sso-sync credentials`, which the AWS CLI runs for every call, loads
 * only what it needs.
 */
import type { RefusedRefreshes } from '../auth/refused-refreshes.js';
import { TokenKeeper, type TokenWritten } from '../auth/token-keeper.js';
import { createOidcApi } from '../aws/oidc-api.js';
import type { Clock } from '../clock/clock.js';
import { defaultLogFile } from '../log/log-file.js';
import { createLogger, type Logger, type ScreenLine } from '../log/logger.js';
import { homeDir, locksDir, stateDir } from '../paths.js';
import { checkLogLevel } from './args.js';
import { readableOn } from './readable-on.js';

export { readableOn } from './readable-on.js';

/**
 * The logger of a run on `fd`: `level`, else SSO_SYNC_LOG_LEVEL, else `fallback` (the logger's own default when
 * none); every run also appends its JSON lines to the rotated log file that `sso-sync log` reads.
 */
export function logger(
  fd: 1 | 2,
  level: string | undefined,
  env: NodeJS.ProcessEnv,
  screen?: ScreenLine,
  fallback?: string,
): Logger {
  const tty = readableOn(fd);
  const chosen = level ?? checkLogLevel(env.SSO_SYNC_LOG_LEVEL || undefined, 'SSO_SYNC_LOG_LEVEL') ?? fallback;
  // A progress line on the terminal is cleared around each readable line; JSON lines go elsewhere than the terminal.
  return createLogger({
    fd,
    human: tty,
    color: tty && !env.NO_COLOR,
    level: chosen,
    file: defaultLogFile(env),
    screen: tty ? screen : undefined,
  });
}

/** The token keeper of a run: the AWS CLI's token cache under `env`'s HOME, its locks in the state directory. */
export function keeper(
  { env, clock }: { env: NodeJS.ProcessEnv; clock: Clock },
  log: Logger,
  refreshWindowMs: number,
  onRefreshed?: TokenWritten,
  refused?: RefusedRefreshes,
): TokenKeeper {
  return new TokenKeeper({
    home: homeDir(env),
    clock,
    log,
    oidc: (region) => createOidcApi(region, env),
    refreshWindowMs,
    lockDir: locksDir(stateDir(env)),
    ...(onRefreshed ? { onRefreshed } : {}),
    ...(refused ? { refused } : {}),
  });
}
