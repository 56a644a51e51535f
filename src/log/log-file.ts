/** Where sso-sync's log file lives: `sso-sync.log` in the state directory, 5 files of up to 5 MiB. */
import { defaultLogLimits, type LogFileOptions } from './rotating-file.js';
import { logFilePath } from '../paths.js';

/** The log file with the default limits, as every sso-sync run writes it. */
export function defaultLogFile(env: NodeJS.ProcessEnv): LogFileOptions {
  return { path: logFilePath(env), ...defaultLogLimits };
}
