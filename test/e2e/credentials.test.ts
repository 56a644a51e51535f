/**
 * `sso-sync credentials --profile NAME` as a credential_process line runs it: the built CLI, a temp HOME, the
 * emulator's GetRoleCredentials through the real SDK. Credentials come out on stdout only: never in stderr, the log
 * or a message; kept 0600 in the state directory, for the sign-in that fetched them, until 16 minutes before they
 * expire.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { builtinFixture } from '../../src/emulator/fixture.js';
import type { IssuedRoleCredentials } from '../../src/emulator/server.js';
import { tokenCachePath } from '../../src/paths.js';
import { filesUnder, logLines, sandbox, sessionSection, type Sandbox } from '../helpers/sandbox.js';

/** A sandbox whose config was synced with profiles.style credential-process. */
async function synced(options: { accessTokenLifetimeSeconds?: number } = {}): Promise<Sandbox> {
  const box = await sandbox({ fixture: builtinFixture(), ...options });
  box.writeConfig(sessionSection());
  const settings = path.join(box.home, '.config', 'sso-sync', 'settings.yaml');
  mkdirSync(path.dirname(settings), { recursive: true });
  writeFileSync(settings, 'profiles:\n  style: credential-process\n');
  return box;
}

const stateDir = (box: Sandbox) => path.join(box.home, '.local', 'state', 'sso-sync');

/** What a credential_process consumer reads. */
interface ProcessOutput {
  Version: number;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
}

function assertServes(stdout: string, issued: IssuedRoleCredentials): void {
  const out = JSON.parse(stdout) as ProcessOutput;
  assert.deepEqual(out, {
    Version: 1,
    AccessKeyId: issued.accessKeyId,
    SecretAccessKey: issued.secretAccessKey,
    SessionToken: issued.sessionToken,
    Expiration: new Date(issued.expiration).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
}

/** No secret of these credentials in anything but stdout and the kept credentials. */
function assertNowhereElse(box: Sandbox, texts: string[], issued: readonly IssuedRoleCredentials[]): void {
  const files = filesUnder(stateDir(box)).filter((f) => !f.includes(`${path.sep}credentials${path.sep}`));
  const places = [...texts, ...files.map((f) => readFileSync(f, 'latin1'))];
  for (const c of issued)
    for (const secret of [c.secretAccessKey, c.sessionToken])
      assert.ok(!places.some((p) => p.includes(secret)), 'a role credential leaked into a log, a message or a file');
}

test('credentials are fetched with the session token, printed as credential_process JSON, and kept until due', async (t) => {
  const box = await synced();
  t.after(() => box.close());
  box.signIn();
  const sync = await box.run(['--once']);
  assert.equal(sync.code, 0, sync.stderr);
  const config = readFileSync(box.configFile, 'utf8');
  assert.match(config, /^credential_process = \S+ \S+ credentials --profile mycorp-prod-admin$/m);

  const first = await box.run(['credentials', '--profile', 'mycorp-prod-admin']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stderr, '', 'nothing on stderr when all is well');
  const issued = box.emulator.issuedRoleCredentials();
  assert.equal(issued.length, 1);
  assert.deepEqual([issued[0]!.accountId, issued[0]!.roleName], ['111111111111', 'AdministratorAccess']);
  assertServes(first.stdout, issued[0]!);

  const second = await box.run(['credentials', '--profile', 'mycorp-prod-admin']);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, first.stdout, 'the kept credentials, the same');
  assert.equal(box.emulator.stats().byRoute.credentials, 1, 'served from the cache: no second call');

  const kept = filesUnder(path.join(stateDir(box), 'credentials'));
  assert.equal(kept.length, 1);
  assert.equal(statSync(kept[0]!).mode & 0o777, 0o600);
  assert.equal(statSync(path.dirname(kept[0]!)).mode & 0o777, 0o700);
  const log = logLines(readFileSync(path.join(stateDir(box), 'sso-sync.log'), 'utf8'));
  const fetched = log.filter((l) => l.event === 'credentials.fetched');
  assert.equal(fetched.length, 1);
  assert.equal(fetched[0]!.profile, 'mycorp-prod-admin');
  assertNowhereElse(box, [first.stderr, second.stderr, sync.stdout, sync.stderr], issued);
});

test('credentials with less than 16 minutes to live are fetched again, not served from the cache', async (t) => {
  const box = await synced();
  t.after(() => box.close());
  box.signIn();
  assert.equal((await box.run(['--once'])).code, 0);
  // 15 minutes: the SDKs would ask again at once; serving them from the cache would have every call run sso-sync.
  box.emulator.setRoleCredentialsLifetime(900);
  for (let i = 0; i < 2; i++) {
    const run = await box.run(['credentials', '--profile', 'mycorp-dev-Developer']);
    assert.equal(run.code, 0, run.stderr);
    assertServes(run.stdout, box.emulator.issuedRoleCredentials()[i]!);
  }
  assert.equal(box.emulator.stats().byRoute.credentials, 2);
});

test('kept credentials go with the sign-in: none after a sign-out, new ones after another sign-in', async (t) => {
  const box = await synced();
  t.after(() => box.close());
  box.signIn();
  assert.equal((await box.run(['--once'])).code, 0);
  const first = await box.run(['credentials', '--profile', 'mycorp-prod-admin']);
  assert.equal(first.code, 0, first.stderr);

  // Signed out (aws sso logout removes the token file): the kept credentials are not served.
  rmSync(tokenCachePath(box.home, 'mycorp'));
  const line = await failure(box, 'mycorp-prod-admin', 3);
  assert.match(line, /sso-sync login --session mycorp/);

  // Signed in again: another token, so the credentials are fetched anew.
  box.signIn();
  const again = await box.run(['credentials', '--profile', 'mycorp-prod-admin']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(box.emulator.stats().byRoute.credentials, 2);
  assertServes(again.stdout, box.emulator.issuedRoleCredentials()[1]!);
});

test('runs started at once make one call to the portal and print the same credentials', async (t) => {
  const box = await synced();
  t.after(() => box.close());
  box.signIn();
  assert.equal((await box.run(['--once'])).code, 0);
  const runs = await Promise.all(
    Array.from({ length: 6 }, () => box.run(['credentials', '--profile', 'mycorp-prod-admin'])),
  );
  for (const run of runs) assert.equal(run.code, 0, run.stderr);
  assert.equal(box.emulator.stats().byRoute.credentials, 1, 'one GetRoleCredentials for six runs');
  assert.equal(new Set(runs.map((r) => r.stdout)).size, 1);
});

test('a token inside the refresh window is refreshed first, with the existing token code', async (t) => {
  // Signed in with a refresh token; tokens live 10 minutes, inside the 30-minute refresh window.
  const box = await synced({ accessTokenLifetimeSeconds: 600 });
  t.after(() => box.close());
  assert.equal((await box.loginWithBrowser()).code, 0);
  const before = readFileSync(tokenCachePath(box.home, 'mycorp'), 'utf8');
  const run = await box.run(['credentials', '--profile', 'mycorp-prod']);
  assert.equal(run.code, 0, run.stderr);
  assertServes(run.stdout, box.emulator.issuedRoleCredentials()[0]!);
  assert.notEqual(readFileSync(tokenCachePath(box.home, 'mycorp'), 'utf8'), before, 'the cached token was refreshed');
  const log = logLines(readFileSync(path.join(stateDir(box), 'sso-sync.log'), 'utf8'));
  assert.ok(log.some((l) => l.event === 'token.refreshed'));
});

/** Runs the command; asserts it failed with `code` and one line on stderr, which it returns. */
async function failure(box: Sandbox, profile: string, code: number, env?: NodeJS.ProcessEnv): Promise<string> {
  const run = await box.run(['credentials', '--profile', profile], { env });
  assert.equal(run.code, code, run.stderr);
  assert.equal(run.stdout, '', 'nothing a credential_process reader could take for credentials');
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr: ${run.stderr}`);
  return lines[0]!;
}

test('each failure a person can meet is one line on stderr that says what to do, and a non-zero exit', async (t) => {
  const box = await synced();
  t.after(() => box.close());
  box.signIn();
  assert.equal((await box.run(['--once'])).code, 0);

  assert.match(await failure(box, 'mycorp-nope', 2), /^sso-sync: there is no profile mycorp-nope in \S+config: run/);

  // The portal cannot be reached.
  const network = await failure(box, 'mycorp-staging-admin', 1, { AWS_ENDPOINT_URL_SSO: 'http://127.0.0.1:9' });
  assert.match(network, /could not get credentials for role AdministratorAccess in account 222222222222 /);
  assert.match(network, /Could not reach http:\/\/127\.0\.0\.1:9: check the network/);

  // The role was taken away since the last sync.
  const fixture = builtinFixture();
  fixture.accounts.find((a) => a.accountId === '333333333333')!.roles = ['AdministratorAccess'];
  box.emulator.setFixture(fixture);
  const gone = await failure(box, 'mycorp-dev-Developer', 1);
  assert.match(gone, /refuses credentials for role Developer in account 333333333333 .*not assigned to you/);
  assert.match(gone, /Run `sso-sync --once`/);

  // No token: sign-in required, with the command that signs in.
  rmSync(tokenCachePath(box.home, 'mycorp'));
  const signIn = await failure(box, 'mycorp-prod-admin', 3);
  assert.match(signIn, /run `sso-sync login --session mycorp`/);

  // An expired token without a refresh token.
  box.signIn('mycorp', { expiresInSeconds: 1 });
  assert.match(await failure(box, 'mycorp-prod-admin', 3), /expired.*sso-sync login --session mycorp/);

  const bare = await box.run(['credentials']);
  assert.deepEqual([bare.code, bare.stdout], [2, '']);
  assert.match(bare.stderr, /^sso-sync: sso-sync credentials needs the profile: `sso-sync credentials --profile NAME`/);
  assertNowhereElse(box, [], box.emulator.issuedRoleCredentials());
});

test('a profile of the sso-session style is served too; a profile that names no role is named, with what to do', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(`[profile mine]\nregion = eu-west-1\n\n${sessionSection()}`);
  box.signIn();
  assert.equal((await box.run(['--once'])).code, 0);
  const served = await box.run(['credentials', '--profile', 'mycorp-prod-admin']);
  assert.equal(served.code, 0, served.stderr);
  assertServes(served.stdout, box.emulator.issuedRoleCredentials()[0]!);
  const line = await failure(box, 'mine', 2);
  assert.match(line, /profile mine in \S+ \(line 1\) does not say which session, account and role it stands for/);
  assert.match(line, /\(no sso_sync_session, sso_sync_account_id, sso_sync_role_name\): run `sso-sync --once`/);
});

/** Runs `body` with the sandbox's environment as the process's (the JS SDK's providers read it, and pass it on). */
async function withEnvironment<T>(box: Sandbox, body: () => Promise<T>): Promise<T> {
  const saved = process.env;
  process.env = { ...box.env };
  try {
    return await body();
  } finally {
    process.env = saved;
  }
}

test("the JS SDK's own profile resolver gets the emulator's credentials from credential-process and legacy profiles", async (t) => {
  const { fromIni } = await import('@aws-sdk/credential-provider-ini');
  const box = await synced();
  t.after(() => box.close());
  box.signIn();
  assert.equal((await box.run(['--once'])).code, 0);
  const viaProcess = await withEnvironment(box, () => fromIni({ profile: 'mycorp-prod', ignoreCache: true })());
  const issued = box.emulator.issuedRoleCredentials();
  assert.equal(issued.length, 1);
  assert.deepEqual(
    [viaProcess.accessKeyId, viaProcess.secretAccessKey, viaProcess.sessionToken],
    [issued[0]!.accessKeyId, issued[0]!.secretAccessKey, issued[0]!.sessionToken],
  );

  // Legacy: the SDK calls GetRoleCredentials itself, with the token kept under the start URL.
  writeFileSync(path.join(box.home, '.config', 'sso-sync', 'settings.yaml'), 'profiles:\n  style: legacy\n');
  assert.equal((await box.run(['--once'])).code, 0);
  assert.match(readFileSync(box.configFile, 'utf8'), /^sso_start_url = https:\/\/d-1234567890\.awsapps\.com\/start$/m);
  // The sso-session's token is not where the SDK looks for a legacy profile's: under the start URL's hash.
  await assert.rejects(
    withEnvironment(box, () => fromIni({ profile: 'mycorp-prod-admin', ignoreCache: true })()),
    /The SSO session associated with this profile is invalid\. To refresh this SSO session run aws sso login/,
  );
  copyFileSync(tokenCachePath(box.home, 'mycorp'), tokenCachePath(box.home, 'https://d-1234567890.awsapps.com/start'));
  const legacy = await withEnvironment(box, () => fromIni({ profile: 'mycorp-prod-admin', ignoreCache: true })());
  const second = box.emulator.issuedRoleCredentials()[1]!;
  assert.deepEqual([second.accountId, second.roleName], ['111111111111', 'AdministratorAccess']);
  assert.deepEqual([legacy.accessKeyId, legacy.sessionToken], [second.accessKeyId, second.sessionToken]);
});
