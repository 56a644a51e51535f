#!/usr/bin/env node
/** The composition root: wires the real clock, logger, file system and SDK clients; the only place that exits. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { TokenKeeper } from '../auth/token-keeper.js';
import { createOidcApi } from '../aws/oidc-api.js';
import { createSsoApi } from '../aws/sso-api.js';
import { systemClock } from '../clock/clock.js';
import { ExitCode, exitCodeOf, SsoSyncError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { runOnce } from '../sync/run-once.js';
import { parseCommand, usage } from './args.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: readonly string[]): Promise<ExitCode> {
  const command = parseCommand(argv);
  switch (command.kind) {
    case 'help':
      process.stdout.write(usage);
      return ExitCode.ok;
    case 'version':
      process.stdout.write(`sso-sync ${version()}\n`);
      return ExitCode.ok;
    case 'unavailable':
      throw new SsoSyncError(
        'usage',
        command.name === 'daemon'
          ? 'the background daemon is not part of this version yet; run `sso-sync --once` to sync now.'
          : `\`sso-sync ${command.name}\` is not part of this version yet; see \`sso-sync --help\`.`,
      );
    case 'once': {
      const env = process.env;
      // A dry run prints its diff on stdout, so its log lines go to stderr.
      const fd = command.dryRun ? 2 : 1;
      const tty = (fd === 1 ? process.stdout : process.stderr).isTTY === true;
      const log = createLogger({ fd, human: tty, color: tty && !env.NO_COLOR, level: command.logLevel ?? env.SSO_SYNC_LOG_LEVEL });
      const report = await runOnce(
        {
          env,
          clock: systemClock,
          log,
          createApi: (region) => createSsoApi(region, systemClock),
          createKeeper: (refreshWindowMs) =>
            new TokenKeeper({ home: env.HOME || os.homedir(), clock: systemClock, log, oidc: (region) => createOidcApi(region, env), refreshWindowMs }),
          out: (t) => process.stdout.write(t),
        },
        command,
      );
      for (const f of report.failures) process.stderr.write(`sso-sync: ${f.error.message}\n`);
      const held = report.outcomes.filter((o) => o.held).map((o) => o.session);
      if (held.length > 0) {
        process.stderr.write(`sso-sync: the update for ${held.join(', ')} was held because it would remove too many profiles; see the log above, and run with --allow-mass-removal if that is intended.\n`);
      }
      return report.exitCode;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof SsoSyncError ? error.message : `internal error: ${(error as Error)?.stack ?? String(error)}`;
    process.stderr.write(`sso-sync: ${message}\n`);
    process.exitCode = exitCodeOf(error);
  },
);
