/**
 * The parts of `sso-sync credentials` that need no portal: finding a profile's session, account and role in the
 * config (also a section copied out of the blocks, as dotfiles keep it), and the kept credentials' rules (0600,
 * five minutes of margin, a damaged file fetched again).
 */
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { scanConfig } from '../../src/core/config-text.js';
import {
  cacheMarginMs,
  credentialFile,
  keepCredentials,
  readKeptCredentials,
} from '../../src/credentials/credential-cache.js';
import { processOutput } from '../../src/credentials/credentials-command.js';
import { findTarget } from '../../src/credentials/profile-target.js';
import { tempDir } from '../helpers/temp-dir.js';

const sessionText = (name: string) =>
  `[sso-session ${name}]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-north-1\n`;
const copied = (name: string, session: string) =>
  `[profile ${name}]\ncredential_process = /usr/bin/node /x/main.js credentials --profile ${name}\n` +
  `sso_sync_session = ${session}\nsso_sync_account_id = 111111111111\nsso_sync_role_name = Admin\n`;

test('a profile copied out of the blocks (dotfiles) is found by its sso_sync_ keys and its session section', () => {
  const found = findTarget(scanConfig(`${sessionText('mycorp')}\n${copied('prod', 'mycorp')}`), 'prod', '/c');
  assert.ok(found.ok);
  assert.deepEqual(
    [found.target.session.name, found.target.session.region, found.target.accountId, found.target.roleName],
    ['mycorp', 'eu-north-1', '111111111111', 'Admin'],
  );
});

test('a profile whose session no section defines says so, and what to do', () => {
  const found = findTarget(scanConfig(copied('prod', 'gone')), 'prod', '/c');
  assert.ok(!found.ok);
  assert.equal(
    found.problem,
    'profile prod stands for sso-session gone, which /c does not define (no [sso-session gone] section with ' +
      'sso_start_url and sso_region): run `sso-sync --once` to write it again',
  );
  const missing = findTarget(scanConfig(sessionText('mycorp')), 'prod', '/c');
  assert.ok(!missing.ok && missing.problem.startsWith('there is no profile prod in /c: run `sso-sync --once`'));
});

const key = {
  startUrl: 'https://d-1234567890.awsapps.com/start',
  session: 'mycorp',
  accountId: '1',
  roleName: 'R',
  accessToken: 'access-1',
};
const credentials = (expiresInMs: number, now: number) => ({
  accessKeyId: 'ASIAEXAMPLE',
  secretAccessKey: 'secret',
  sessionToken: 'token',
  expiration: new Date(now + expiresInMs),
});

test('kept credentials: 0600, served while more than 16 minutes remain and for the same sign-in, fetched again otherwise', async (t) => {
  const state = tempDir(t, 'sso-sync-cred-');
  const now = Date.parse('2026-11-21T10:00:00Z');
  await keepCredentials(state, key, credentials(cacheMarginMs + 1000, now));
  assert.equal(statSync(credentialFile(state, key)).mode & 0o777, 0o600);
  assert.deepEqual(await readKeptCredentials(state, key, now), credentials(cacheMarginMs + 1000, now));
  assert.equal(await readKeptCredentials(state, key, now + 1000), undefined, '16 minutes left: fetched again');
  assert.equal(await readKeptCredentials(state, { ...key, startUrl: 'https://other/start' }, now), undefined);
  assert.equal(
    await readKeptCredentials(state, { ...key, accessToken: 'access-2' }, now),
    undefined,
    'another sign-in (or a refreshed token) does not get them',
  );
  writeFileSync(credentialFile(state, key), '{"accessKeyId": "ASIA');
  assert.equal(await readKeptCredentials(state, key, now), undefined, 'a damaged file is not trusted');
});

test('the credential_process JSON: Version 1, the keys, the expiry in ISO 8601 UTC without milliseconds', () => {
  const out = processOutput(credentials(3_600_000, Date.parse('2026-11-21T10:00:00.123Z')));
  assert.equal(
    out,
    '{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret","SessionToken":"token",' +
      '"Expiration":"2026-11-21T11:00:00Z"}\n',
  );
});
