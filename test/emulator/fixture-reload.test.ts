/**
 * `npm run emulator -- --fixture FILE` while it runs: each valid save is served from the next request on, with
 * tokens and client registrations kept; a save that is not a fixture is reported on stderr and the last good one stays.
 */
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ListAccountsCommand, SSOClient } from '@aws-sdk/client-sso';
import { RegisterClientCommand, SSOOIDCClient, StartDeviceAuthorizationCommand } from '@aws-sdk/client-sso-oidc';
import type { Fixture } from '../../src/emulator/fixture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { bannerExports, startMain, type MainProcess } from './main-process.js';

const account = (n: number, name: string) => ({ accountId: String(n).repeat(12), accountName: name, roles: ['Admin'] });

/** Starts the entry point on a fixture file; `accounts()`: the account names ListAccounts gives the printed token. */
async function running(t: { after(fn: () => unknown): void }, first: Fixture) {
  const file = path.join(tempDir(t), 'org.json');
  writeFileSync(file, JSON.stringify(first, null, 2));
  const main = await startMain(['--fixture', file]);
  t.after(() => main.kill());
  const endpoint = bannerExports(main.banner).AWS_ENDPOINT_URL_SSO!;
  const token = /^ {2}(aoa\S+)$/m.exec(main.banner)![1]!;
  const sso = new SSOClient({ region: 'eu-north-1', endpoint, maxAttempts: 1 });
  t.after(() => sso.destroy());
  const accounts = async () =>
    ((await sso.send(new ListAccountsCommand({ accessToken: token }))).accountList ?? []).map((a) => a.accountName);
  return { file, main, endpoint, accounts };
}

/** Waits for the line that says a save was reloaded with `count` accounts, after what stdout held at `from`. */
function reloaded(main: MainProcess, count: number, from = main.stdout().length) {
  return main.waitFor('stdout', new RegExp(`^Fixture .+ reloaded: ${count} accounts`, 'm'), from);
}

test('a save is served from the next request on; the printed token and a client registration still work', async (t) => {
  const { file, main, endpoint, accounts } = await running(t, { accounts: [account(1, 'Prod')] });
  assert.deepEqual(await accounts(), ['Prod']);
  const oidc = new SSOOIDCClient({ region: 'eu-north-1', endpoint, maxAttempts: 1 });
  t.after(() => oidc.destroy());
  const client = await oidc.send(new RegisterClientCommand({ clientName: 'by-hand', clientType: 'public' }));

  // Written in place, as most editors save.
  let from = main.stdout().length;
  writeFileSync(file, JSON.stringify({ accounts: [account(1, 'Production'), account(2, 'Staging')] }));
  const line = await reloaded(main, 2, from);
  assert.ok(line[0].includes(file), line[0]);
  assert.deepEqual(await accounts(), ['Production', 'Staging']);
  const device = await oidc.send(
    new StartDeviceAuthorizationCommand({
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      startUrl: 'https://d-1234567890.awsapps.com/start',
    }),
  );
  assert.ok(device.userCode, 'the client registered before the reload is still known');

  // Replaced by a rename, as vim, `sed -i` and "safe write" editors save: still seen.
  from = main.stdout().length;
  writeFileSync(
    `${file}.tmp`,
    JSON.stringify({ accounts: [account(3, 'Sandbox'), account(1, 'Prod'), account(2, 'Dev')] }),
  );
  renameSync(`${file}.tmp`, file);
  await reloaded(main, 3, from);
  assert.deepEqual(await accounts(), ['Sandbox', 'Prod', 'Dev']);
  assert.equal(await main.stop(), 0, 'the watch ends with the emulator');
});

test('a save that is not a valid fixture is reported on stderr with the file and each problem; the last good one stays', async (t) => {
  const { file, main, accounts } = await running(t, { accounts: [account(1, 'Prod')] });

  writeFileSync(
    file,
    JSON.stringify({ accounts: [{ accountId: '12', accountName: 'Short', roles: [] }, account(2, '')] }),
  );
  const [report] = await main.waitFor(
    'stderr',
    /^sso-sync emulator: .+ changed but is not a usable fixture:\n(?: {2}- .+\n)+.+\n/m,
  );
  assert.ok(report.includes(`sso-sync emulator: ${file} changed`), report);
  assert.match(report, /^ {2}- accounts\[0\]\.accountId: must be exactly 12 digits$/m);
  assert.match(report, /^ {2}- accounts\[1\]\.accountName: must not be empty$/m);
  assert.match(report, /Still serving the previous fixture \(1 accounts\); fix the file and save it again\./);
  assert.deepEqual(await accounts(), ['Prod']);

  const before = main.stderr().length;
  writeFileSync(file, '{"accounts": [');
  const [broken] = await main.waitFor('stderr', /not a usable fixture:\n {2}- not valid JSON: .+\n/, before);
  assert.ok(broken.length > 0);
  assert.deepEqual(await accounts(), ['Prod']);

  // Fixed: served again, and the two bad saves were never reported as reloads.
  writeFileSync(file, JSON.stringify({ accounts: [account(2, 'Fixed')] }));
  await reloaded(main, 1);
  assert.deepEqual(await accounts(), ['Fixed']);
  assert.equal(
    main
      .stdout()
      .slice(main.banner.length)
      .match(/reloaded/g)?.length,
    1,
    main.stdout(),
  );
  assert.equal(await main.stop(), 0);
});
