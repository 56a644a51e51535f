/** Entry point of `npm run emulator`: starts an emulator, prints how to use it, runs until interrupted. */
import { bannerText } from './banner.js';
import { parseEmulatorArgs, USAGE, type FixtureChoice } from './cli-args.js';
import { builtinFixture, generateFixture, loadFixture, type Fixture } from './fixture.js';
import { watchFixture, type FixtureWatch } from './fixture-watch.js';
import { startEmulator, type Emulator } from './server.js';
import { errorMessage, errorStack } from '../errors.js';

async function fixtureFor(choice: FixtureChoice): Promise<Fixture> {
  switch (choice.kind) {
    case 'builtin':
      return builtinFixture();
    case 'file':
      return loadFixture(choice.path);
    case 'generated':
      return generateFixture({ accounts: choice.accounts, rolesPerAccount: choice.rolesPerAccount, seed: choice.seed });
  }
}

function roleCount(fixture: Fixture): number {
  return fixture.accounts.reduce((sum, account) => sum + account.roles.length, 0);
}

/**
 * Serves each valid save of the fixture file from the next request on; tokens and client registrations live in the
 * emulator, not in the fixture, so they stay. A save that cannot be used is reported and the last good one stays.
 */
async function watchFixtureFile(file: string, emulator: Emulator, first: Fixture): Promise<FixtureWatch> {
  let served = first;
  return watchFixture(file, {
    reloaded(fixture) {
      emulator.setFixture(fixture);
      served = fixture;
      process.stdout.write(
        `Fixture ${file} reloaded: ${fixture.accounts.length} accounts, ${roleCount(fixture)} role assignments, ` +
          'served from the next request on.\n',
      );
    },
    refused(problems) {
      process.stderr.write(
        `sso-sync emulator: ${file} changed but is not a usable fixture:\n` +
          problems.map((p) => `  - ${p}\n`).join('') +
          `Still serving the previous fixture (${served.accounts.length} accounts); fix the file and save it again.\n`,
      );
    },
  });
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseEmulatorArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`sso-sync emulator: ${parsed.problems.join('\n  ')}\n\n${USAGE}\n`);
    return 2;
  }
  const { config } = parsed;

  let fixture: Fixture;
  try {
    fixture = await fixtureFor(config.fixture);
  } catch (error) {
    process.stderr.write(`sso-sync emulator: ${errorMessage(error)}\n`);
    return 2;
  }

  // Listening for signals before anything is printed: whoever reads the banner may signal at once.
  const interrupted = new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const emulator = await startEmulator({
    fixture,
    port: config.port,
    latencyMs: config.latencyMs,
    ...(config.throttle === undefined ? {} : { throttle: config.throttle }),
    accessTokenLifetimeSeconds: config.tokenLifetimeSeconds,
    autoApproveDevice: config.autoApproveDevice,
    refreshTokens: config.refreshTokens,
    ...(config.refreshTokenLifetimeSeconds === undefined
      ? {}
      : { refreshTokenLifetimeSeconds: config.refreshTokenLifetimeSeconds }),
    ...(config.registrationLifetimeSeconds === undefined
      ? {}
      : { registrationLifetimeSeconds: config.registrationLifetimeSeconds }),
  });
  const watch =
    config.fixture.kind === 'file' ? await watchFixtureFile(config.fixture.path, emulator, fixture) : undefined;
  const { accessToken, expiresAt } = emulator.issueAccessToken({ expiresInSeconds: config.tokenLifetimeSeconds });

  // Printing the token is the point: it is a throwaway token that only this local emulator accepts.
  process.stdout.write(
    bannerText({
      url: emulator.url,
      accountCount: fixture.accounts.length,
      roleCount: roleCount(fixture),
      fixtureFile: config.fixture.kind === 'file' ? config.fixture.path : undefined,
      autoApproveDevice: config.autoApproveDevice,
      accessToken,
      expiresAt,
    }),
  );

  await interrupted;
  await watch?.close();
  await emulator.stop();
  process.stdout.write('SSO emulator stopped.\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    // exitCode rather than exit(): the event loop is already empty once the server is closed.
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`sso-sync emulator: ${errorStack(error)}\n`);
    process.exitCode = 1;
  },
);
