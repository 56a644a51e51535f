/** How a command's process ends: its exit status, and its failure said in one line on stderr. */
import { errorStack, exitCodeOf, SsoSyncError, type ExitCode } from '../errors.js';

/** How the process ends: with this code, and at once (`end`) when handles a finished daemon left may keep it up. */
export interface Ending {
  code: ExitCode;
  end?: boolean;
}

/** Ends the process as the command's run says: its code, or its failure on stderr with the failure's code. */
export function endWith(run: Promise<Ending>): void {
  run.then(
    ({ code, end }) => {
      process.exitCode = code;
      if (end) process.exit(code);
    },
    (error: unknown) => {
      const message = error instanceof SsoSyncError ? error.message : `internal error: ${errorStack(error)}`;
      process.stderr.write(`sso-sync: ${message}\n`);
      process.exitCode = exitCodeOf(error);
    },
  );
}
