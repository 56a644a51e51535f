/**
 * The command line, once main.ts has started: parses the arguments, answers `--help` and `--version` at once, and
 * loads the rest (the AWS SDK, the watchers, the logger) only for a command that needs it. The only place that exits.
 */
import { systemClock } from '../clock/clock.js';
import { ExitCode } from '../errors.js';
import { catchSignals } from '../daemon/early-signals.js';
import { readCommandLine, usage } from './args.js';
import { useCompileCache } from './compile-cache.js';
import { completionScript } from './completion.js';
import { commandHelp } from './help.js';
import { packageVersion } from './package-version.js';
import { endWith, type Ending } from './ending.js';

async function main(argv: readonly string[]): Promise<Ending> {
  const command = readCommandLine(argv);
  switch (command.kind) {
    case 'help':
      process.stdout.write(command.topic === undefined ? usage : commandHelp(command.topic));
      return { code: ExitCode.ok };
    case 'version':
      process.stdout.write(`sso-sync ${packageVersion()}\n`);
      return { code: ExitCode.ok };
    case 'completion':
      process.stdout.write(completionScript(command.shell));
      return { code: ExitCode.ok };
    // The commands that only read load their own modules, without the SDK, the logger or the watchers.
    case 'status':
    case 'completion-sessions': {
      useCompileCache(process.env);
      const { runStatusCommand } = await import('./status-commands.js');
      return { code: await runStatusCommand(command, process.env) };
    }
    case 'credentials': {
      useCompileCache(process.env);
      const { runCredentialsCommand } = await import('./credentials-commands.js');
      return { code: await runCredentialsCommand(command, process.env) };
    }
    case 'log': {
      useCompileCache(process.env);
      const { logCommand } = await import('../history/log-command.js');
      const { since, session, json } = command;
      const now = new Date(systemClock.now());
      const out = (text: string) => process.stdout.write(text);
      return { code: (await logCommand({ since, session, json, env: process.env, now, out })) as ExitCode };
    }
    case 'daemon': {
      // The daemon's stop and reload signals are caught before anything else loads: a SIGTERM in its first
      // moments is a clean stop (exit 0), not Node's default end by the signal.
      const signals = catchSignals(process);
      useCompileCache(process.env);
      const { runDaemonCommand } = await import('./daemon-command.js');
      // Ended at once: handles a finished daemon left may keep the process up.
      return { code: await runDaemonCommand(command, process.env, signals), end: true };
    }
    default: {
      useCompileCache(process.env);
      const { runCommand } = await import('./commands.js');
      return runCommand(command, process.env);
    }
  }
}

endWith(main(process.argv.slice(2)));
