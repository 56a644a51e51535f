/** The `npm run emulator` entry point: flags, what it prints, and a clean stop on SIGTERM. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ListAccountsCommand, SSOClient } from '@aws-sdk/client-sso';
import {
  CreateTokenCommand,
  RegisterClientCommand,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';
import { parseEmulatorArgs } from '../../src/emulator/cli-args.js';

const MAIN = fileURLToPath(new URL('../../src/emulator/main.js', import.meta.url));

/**
 * Starts the entry point and waits (up to 15 s) for its ready line, the one that ends with Ctrl+C: `stdout` is what
 * it printed until then. `stop()` sends SIGTERM and resolves with the exit code; `kill()` ends it at once if it still
 * runs (call it in a `finally`).
 */
async function startMain(args: string[]): Promise<{ stdout: string; stop(): Promise<number | null>; kill(): void }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      const limit = setTimeout(() => reject(new Error(`no ready line within 15 s:\n${stdout}${stderr}`)), 15_000);
      void exited.then((code) => {
        clearTimeout(limit);
        reject(new Error(`exited early with ${code}:\n${stderr}`));
      });
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Ctrl+C')) {
          clearTimeout(limit);
          resolve();
        }
      });
    });
  } catch (error) {
    kill();
    throw error;
  }
  const stop = () => {
    child.kill('SIGTERM');
    return exited;
  };
  return { stdout, stop, kill };
}

test('flags parse into a configuration', () => {
  assert.deepEqual(parseEmulatorArgs([]), {
    kind: 'run',
    config: {
      port: 0,
      fixture: { kind: 'builtin' },
      latencyMs: 0,
      tokenLifetimeSeconds: 3600,
      autoApproveDevice: false,
      refreshTokens: 'rotate',
    },
  });
  const parsed = parseEmulatorArgs([
    '--accounts',
    '500',
    '--roles',
    '4',
    '--rate',
    '2.5',
    '--burst',
    '10',
    '--latency',
    '30',
  ]);
  assert.deepEqual(parsed, {
    kind: 'run',
    config: {
      port: 0,
      fixture: { kind: 'generated', accounts: 500, rolesPerAccount: 4, seed: 1 },
      latencyMs: 30,
      tokenLifetimeSeconds: 3600,
      autoApproveDevice: false,
      refreshTokens: 'rotate',
      throttle: { ratePerSecond: 2.5, burst: 10 },
    },
  });
  const oidc = parseEmulatorArgs([
    '--auto-approve',
    '--refresh-tokens',
    'none',
    '--refresh-lifetime',
    '60',
    '--registration-lifetime',
    '120',
    '--token-lifetime',
    '30',
  ]);
  assert.deepEqual(oidc, {
    kind: 'run',
    config: {
      port: 0,
      fixture: { kind: 'builtin' },
      latencyMs: 0,
      tokenLifetimeSeconds: 30,
      autoApproveDevice: true,
      refreshTokens: 'none',
      refreshTokenLifetimeSeconds: 60,
      registrationLifetimeSeconds: 120,
    },
  });
  assert.deepEqual(parseEmulatorArgs(['--help']), { kind: 'help' });
});

test('bad flags are all reported', () => {
  const parsed = parseEmulatorArgs([
    '--port',
    '70000',
    '--fixture',
    'a.json',
    '--accounts',
    'x',
    '--burst',
    '2',
    '--rate',
    '0',
    '--refresh-tokens',
    'forever',
    '--registration-lifetime',
    '0',
  ]);
  assert.equal(parsed.kind, 'error');
  const problems = parsed.problems.join('\n');
  const expectations = [
    '--port',
    '--accounts must',
    '--rate',
    '--fixture and --accounts',
    '--refresh-tokens',
    '--registration-lifetime',
  ];
  for (const expected of expectations) {
    assert.ok(problems.includes(expected), `${expected} in ${problems}`);
  }
  assert.equal(parseEmulatorArgs(['--bogus']).kind, 'error');
  assert.equal(parseEmulatorArgs(['--roles', '3']).kind, 'error');
});

test('invalid flags exit 2 with a message', async () => {
  const child = spawn(process.execPath, [MAIN, '--latency', 'soon'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 2);
  assert.match(stderr, /--latency must be a whole number/);
  assert.match(stderr, /usage:/);
});

test('it prints the endpoint and a working token, and stops cleanly on SIGTERM', async () => {
  const main = await startMain(['--accounts', '30', '--roles', '2']);
  try {
    const endpoint = /AWS_ENDPOINT_URL_SSO=(http:\/\/127\.0\.0\.1:\d+)/.exec(main.stdout)?.[1];
    const token = /^ {2}(aoa\S+)$/m.exec(main.stdout)?.[1];
    assert.ok(endpoint && token, main.stdout);
    assert.match(main.stdout, /expires \d{4}-\d\d-\d\dT/);

    const client = new SSOClient({ region: 'eu-north-1', endpoint, maxAttempts: 1 });
    try {
      const page = await client.send(new ListAccountsCommand({ accessToken: token, maxResults: 100 }));
      assert.equal(page.accountList?.length, 30);
    } finally {
      client.destroy();
    }
    assert.equal(await main.stop(), 0);
  } finally {
    main.kill();
  }
});

test('with --auto-approve, a device code sign-in against the printed OIDC endpoint completes at once', async () => {
  const main = await startMain(['--auto-approve', '--token-lifetime', '120']);
  try {
    const endpoint = /AWS_ENDPOINT_URL_SSO_OIDC=(http:\/\/127\.0\.0\.1:\d+)/.exec(main.stdout)?.[1];
    assert.ok(endpoint, main.stdout);
    assert.match(main.stdout, /approved at once/);

    const oidc = new SSOOIDCClient({ region: 'eu-north-1', endpoint, maxAttempts: 1 });
    const sso = new SSOClient({ region: 'eu-north-1', endpoint, maxAttempts: 1 });
    try {
      const client = await oidc.send(
        new RegisterClientCommand({
          clientName: 'by-hand',
          clientType: 'public',
          grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'],
        }),
      );
      const credentials = { clientId: client.clientId, clientSecret: client.clientSecret };
      const device = await oidc.send(
        new StartDeviceAuthorizationCommand({ ...credentials, startUrl: 'https://d-1234567890.awsapps.com/start' }),
      );
      const token = await oidc.send(
        new CreateTokenCommand({
          ...credentials,
          grantType: 'urn:ietf:params:oauth:grant-type:device_code',
          deviceCode: device.deviceCode,
        }),
      );
      assert.equal(token.expiresIn, 120);
      const page = await sso.send(new ListAccountsCommand({ accessToken: token.accessToken }));
      assert.ok((page.accountList?.length ?? 0) > 0);
    } finally {
      oidc.destroy();
      sso.destroy();
    }
    assert.equal(await main.stop(), 0);
  } finally {
    main.kill();
  }
});
