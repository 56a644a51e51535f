/**
 * profiles.style against the real AWS CLI v2 (Debian's awscli, /usr/bin/aws): a credential-process profile gives
 * `aws configure export-credentials` the emulator's role credentials through `sso-sync credentials`, with an
 * environment that has no PATH; a legacy profile is read by the CLI's own SSO credential code, which looks for its
 * token under the start URL, not under the sso-session name sso-sync signs in to; role-chain profiles read with
 * their keys. Run by `npm run test:aws-cli`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { tokenCachePath } from '../../src/paths.js';
import { sandbox, sessionSection, type Sandbox } from '../helpers/sandbox.js';
import { awsCli, cliPython } from './cli-tools.js';

const run = promisify(execFile);
const startUrl = 'https://d-1234567890.awsapps.com/start';

/** A sandbox synced with the given profiles.style. */
async function synced(style: string): Promise<Sandbox> {
  const box = await sandbox({ fixture: builtinFixture() });
  box.writeConfig(sessionSection());
  const settings = path.join(box.home, '.config', 'sso-sync', 'settings.yaml');
  mkdirSync(path.dirname(settings), { recursive: true });
  writeFileSync(settings, `profiles:\n  style: ${style}\n`);
  box.signIn();
  const sync = await box.run(['--once']);
  assert.equal(sync.code, 0, sync.stderr);
  return box;
}

test('aws configure export-credentials gets the emulator credentials from a credential-process profile, without PATH', async (t) => {
  const box = await synced('credential-process');
  t.after(() => box.close());
  // What a program started from a desktop or a service may have: no PATH, so no `node` to look up.
  const env = {
    HOME: box.home,
    AWS_CONFIG_FILE: box.configFile,
    AWS_SHARED_CREDENTIALS_FILE: path.join(box.home, '.aws', 'credentials'),
    AWS_ENDPOINT_URL_SSO: box.emulator.url,
    XDG_STATE_HOME: path.join(box.home, '.local', 'state'),
  };
  const args = [
    'configure',
    'export-credentials',
    '--profile',
    'mycorp-staging-PowerUserAccess',
    '--format',
    'process',
  ];
  const { stdout } = await run('/usr/bin/aws', args, { env });
  const issued = box.emulator.issuedRoleCredentials();
  assert.equal(issued.length, 1);
  assert.deepEqual([issued[0]!.accountId, issued[0]!.roleName], ['222222222222', 'PowerUserAccess']);
  const got = JSON.parse(stdout) as Record<string, unknown>;
  assert.equal(got.Version, 1);
  assert.equal(got.AccessKeyId, issued[0]!.accessKeyId);
  assert.equal(got.SecretAccessKey, issued[0]!.secretAccessKey);
  assert.equal(got.SessionToken, issued[0]!.sessionToken);
  assert.equal(Date.parse(String(got.Expiration)), Math.floor(issued[0]!.expiration / 1000) * 1000);

  // The CLI shows sso-sync's one line when the credentials cannot be had.
  await assert.rejects(
    run('/usr/bin/aws', ['configure', 'export-credentials', '--profile', 'mycorp-dev-Developer'], {
      env: { ...env, AWS_ENDPOINT_URL_SSO: 'http://127.0.0.1:9' },
    }),
    (error: { stderr: string }) => {
      assert.match(error.stderr, /sso-sync: could not get credentials for role Developer in account 333333333333/);
      return true;
    },
  );
});

/** The credentials botocore's own provider chain gives a profile, its SSO client pointed at the emulator. */
async function botocoreCredentials(box: Sandbox, profile: string): Promise<Record<string, string>> {
  // This CLI (2.9) predates AWS_ENDPOINT_URL_SSO: its SSO client is given the emulator's URL instead.
  const script = `import json, os, sys, botocore.session
s = botocore.session.Session(profile=sys.argv[1])
create = s.create_client
def with_endpoint(name, *args, **kwargs):
    if name == 'sso':
        kwargs['endpoint_url'] = os.environ['AWS_ENDPOINT_URL_SSO']
    return create(name, *args, **kwargs)
s.create_client = with_endpoint
try:
    c = s.get_credentials().get_frozen_credentials()
    print(json.dumps({'accessKeyId': c.access_key, 'secretAccessKey': c.secret_key, 'sessionToken': c.token}))
except Exception as e:
    print(json.dumps({'error': type(e).__name__ + ': ' + str(e)}))`;
  return JSON.parse(await cliPython(box, script, [profile])) as Record<string, string>;
}

test("a legacy profile is read by the AWS CLI's SSO code, which wants a token under the start URL", async (t) => {
  const box = await synced('legacy');
  t.after(() => box.close());
  const profile = 'mycorp-prod-admin';
  const text = readFileSync(box.configFile, 'utf8');
  assert.match(text, new RegExp(`\\[profile ${profile}\\]\\nsso_start_url = ${startUrl}\\nsso_region = eu-north-1\\n`));

  // sso-sync's sign-in (the sso-session's cache file) is not where the CLI looks for a legacy profile's token.
  const without = await botocoreCredentials(box, profile);
  assert.match(
    without.error ?? '',
    /SSOTokenLoadError: Error loading SSO Token: Token for https:\/\/d-1234567890\.awsapps\.com\/start does not exist/,
  );

  // `aws sso login --profile NAME` on a legacy profile keeps its token under the sha1 of the start URL.
  copyFileSync(tokenCachePath(box.home, 'mycorp'), tokenCachePath(box.home, startUrl));
  const got = await botocoreCredentials(box, profile);
  const issued = box.emulator.issuedRoleCredentials();
  assert.equal(issued.length, 1);
  assert.deepEqual(got, {
    accessKeyId: issued[0]!.accessKeyId,
    secretAccessKey: issued[0]!.secretAccessKey,
    sessionToken: issued[0]!.sessionToken,
  });
  assert.deepEqual([issued[0]!.accountId, issued[0]!.roleName], ['111111111111', 'AdministratorAccess']);
});

test('the AWS CLI reads role-chain profiles: role_arn and source_profile as written, on a generated profile', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  const settings = path.join(box.home, '.config', 'sso-sync', 'settings.yaml');
  mkdirSync(path.dirname(settings), { recursive: true });
  writeFileSync(
    settings,
    'chains:\n  - name: "{profile}-deployer"\n    role_arn: "arn:aws:iam::{account_id}:role/Deployer"\n' +
      '    roles: [AdministratorAccess]\n    role_session_name: sso-sync\n    duration_seconds: 3600\n',
  );
  box.signIn();
  const sync = await box.run(['--once']);
  assert.equal(sync.code, 0, sync.stderr);
  const get = async (key: string, profile: string) =>
    (await awsCli(box, ['configure', 'get', key, '--profile', profile])).trim();
  assert.equal(await get('role_arn', 'mycorp-dev-admin-deployer'), 'arn:aws:iam::333333333333:role/Deployer');
  assert.equal(await get('source_profile', 'mycorp-dev-admin-deployer'), 'mycorp-dev-admin');
  assert.equal(await get('role_session_name', 'mycorp-dev-admin-deployer'), 'sso-sync');
  assert.equal(await get('duration_seconds', 'mycorp-dev-admin-deployer'), '3600');
  assert.equal(await get('sso_account_id', 'mycorp-dev-admin'), '333333333333');
  const listed = (await awsCli(box, ['configure', 'list-profiles'])).split('\n').filter(Boolean);
  const admins = builtinFixture().accounts.filter((a) => a.roles.includes('AdministratorAccess')).length;
  assert.equal(listed.filter((n) => n.endsWith('-deployer')).length, admins);
});
