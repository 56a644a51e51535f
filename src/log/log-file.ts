/** Where sso-sync's log file lives: `sso-sync.log` in the state directory, 5 files of up to 5 MiB. */
import path from 'node:path';
import { stateDir } from '../state-dir.js';
import { defaultLogLimits, type LogFileOptions } from './rotating-file.js';

/** The log file's path: `$XDG_STATE_HOME/sso-sync/sso-sync.log`, else `~/.local/state/sso-sync/sso-sync.log`. */
export function logFilePath(env: NodeJS.ProcessEnv): string {
  return path.join(stateDir(env), 'sso-sync.log');
}

/** The log file with the default limits, as every sso-sync run writes it. */
export function defaultLogFile(env: NodeJS.ProcessEnv): LogFileOptions {
  return { path: logFilePath(env), ...defaultLogLimits };
}
