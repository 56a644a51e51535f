/** Entry point of `npm run emulator`: starts an emulator, prints how to use it, runs until interrupted. */
import { parseEmulatorArgs, USAGE, type FixtureChoice } from './cli-args.js';
import { builtinFixture, generateFixture, loadFixture, type Fixture } from './fixture.js';
import { startEmulator } from './server.js';
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
  const { accessToken, expiresAt } = emulator.issueAccessToken({ expiresInSeconds: config.tokenLifetimeSeconds });
  const roleCount = fixture.accounts.reduce((sum, account) => sum + account.roles.length, 0);

  // Printing the token is the point: it is a throwaway token that only this local emulator accepts.
  process.stdout.write(
    [
      `SSO emulator listening on ${emulator.url} (${fixture.accounts.length} accounts, ${roleCount} role assignments)`,
      '',
      'Point the AWS SDK at it with:',
      `  export AWS_ENDPOINT_URL_SSO=${emulator.url}`,
      `  export AWS_ENDPOINT_URL_SSO_OIDC=${emulator.url}`,
      '',
      config.autoApproveDevice
        ? 'Sign-in: device codes are approved at once; the authorize page approves.'
        : 'Sign-in: the authorize page approves; device codes wait for approval (start with --auto-approve to ' +
          'approve them).',
      '',
      `Access token (expires ${expiresAt.toISOString()}):`,
      `  ${accessToken}`,
      '',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );

  await interrupted;
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
