/** The `npm run emulator` entry point: flags, the banner a person reads, and a clean stop on SIGTERM. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ListAccountsCommand, SSOClient } from '@aws-sdk/client-sso';
import {
  CreateTokenCommand,
  RegisterClientCommand,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';
import { parseEmulatorArgs } from '../../src/emulator/cli-args.js';
import { tempDir } from '../helpers/temp-dir.js';
import { bannerExports, bannerSessionSection, MAIN, startMain } from './main-process.js';

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
    const endpoint = /AWS_ENDPOINT_URL_SSO=(http:\/\/127\.0\.0\.1:\d+)/.exec(main.banner)?.[1];
    const token = /^ {2}(aoa\S+)$/m.exec(main.banner)?.[1];
    assert.ok(endpoint && token, main.banner);
    assert.match(main.banner, /expires \d{4}-\d\d-\d\dT/);

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
    const endpoint = /AWS_ENDPOINT_URL_SSO_OIDC=(http:\/\/127\.0\.0\.1:\d+)/.exec(main.banner)?.[1];
    assert.ok(endpoint, main.banner);
    assert.match(main.banner, /approved at once/);

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

test('the banner gives the sso-session section, the exports and the sign-in, and the emulator takes any start URL and region', async () => {
  const main = await startMain([]);
  try {
    const url = /^SSO emulator listening on (http:\/\/127\.0\.0\.1:\d+) \(8 accounts, 16 role assignments\)$/m.exec(
      main.banner,
    )?.[1];
    assert.ok(url, main.banner);
    assert.equal(
      bannerSessionSection(main.banner),
      '[sso-session emulator]\n' +
        'sso_start_url = https://d-1234567890.awsapps.com/start\n' +
        'sso_region = eu-north-1\n' +
        'sso_registration_scopes = sso:account:access\n',
    );
    assert.match(main.banner, /any http or https start URL and any region\s+work here/);
    assert.deepEqual(bannerExports(main.banner), { AWS_ENDPOINT_URL_SSO: url, AWS_ENDPOINT_URL_SSO_OIDC: url });
    assert.match(main.banner, /^ {2}sso-sync login --session emulator --device-code$/m);
    assert.ok(main.banner.includes(`It prints a URL (${url}/device?user_code=…)`), main.banner);
    assert.match(main.banner, /press Approve \(or Deny\)/);
    assert.doesNotMatch(main.banner, /approved at once/);
    assert.match(main.banner, /^ {2}aoa\S+$/m);

    // What the banner claims: another start URL, in another region, signs in all the same.
    const oidc = new SSOOIDCClient({ region: 'ap-southeast-2', endpoint: url, maxAttempts: 1 });
    try {
      const client = await oidc.send(
        new RegisterClientCommand({ clientName: 'by-hand', clientType: 'public', scopes: ['sso:account:access'] }),
      );
      const device = await oidc.send(
        new StartDeviceAuthorizationCommand({
          clientId: client.clientId,
          clientSecret: client.clientSecret,
          startUrl: 'https://my-own-org.example/start',
        }),
      );
      assert.ok(device.verificationUriComplete?.startsWith(`${url}/device?user_code=`));
    } finally {
      oidc.destroy();
    }
    assert.equal(await main.stop(), 0);
  } finally {
    main.kill();
  }
});

test('the banner names a --fixture file it watches; with --auto-approve it says there is no page to open', async (t) => {
  const file = path.join(tempDir(t), 'org.json');
  writeFileSync(file, JSON.stringify({ accounts: [{ accountId: '111111111111', accountName: 'Prod', roles: ['A'] }] }));
  const main = await startMain(['--fixture', file, '--auto-approve']);
  try {
    assert.match(main.banner, /\(1 accounts, 1 role assignments; from (.+), reloaded whenever it is saved\)/);
    assert.ok(main.banner.includes(`from ${file}, reloaded`));
    assert.match(main.banner, /Device codes are approved at once \(--auto-approve\): the login finishes by itself/);
    assert.doesNotMatch(main.banner, /press Approve/);
    assert.equal(await main.stop(), 0);
  } finally {
    main.kill();
  }
});
