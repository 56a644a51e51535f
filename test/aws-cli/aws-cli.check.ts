/**
 * sso-sync against the real AWS CLI v2 (Debian's awscli, /usr/bin/aws): the CLI reads the config sso-sync wrote,
 * loads the token sso-sync wrote with its own token code, and sso-sync uses a token written by the CLI's cache
 * code. Run by `npm run test:aws-cli`; `.ci/run` installs awscli first.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { builtinFixture, generateFixture } from '../../src/emulator/fixture.js';
import { profileNames, sandbox, sessionSection } from '../helpers/sandbox.js';
import { awsCli, cliPython, fullConfig } from './cli-tools.js';
import { tokenCachePath } from '../../src/paths.js';

test('the AWS CLI lists exactly the profiles in a config sso-sync wrote for two sessions, with every key as written', async (t) => {
  const box = await sandbox({ fixture: generateFixture({ accounts: 40, rolesPerAccount: 3, seed: 11 }) });
  t.after(() => box.close());
  const mine =
    '# mine\r\n[default]\r\nregion = eu-west-1\r\n\r\n[profile hand-made]\r\nregion = us-east-1\r\ns3 =\r\n  max_concurrent_requests = 20\r\n';
  box.writeConfig(mine + sessionSection('mycorp').replace(/\n/g, '\r\n'));
  const settings = `${box.home}/settings.yaml`;
  writeFileSync(
    settings,
    'sessions:\n  other:\n    start_url: https://d-0000000000.awsapps.com/start\n    region: us-east-1\nprofiles:\n  name: "{session}-{account}-{role}"\n  set: { output: json, duration_seconds: 43200 }\n',
  );
  box.signIn('mycorp');
  box.signIn('other', { startUrl: 'https://d-0000000000.awsapps.com/start' });
  const sync = await box.run(['--once', '--settings', settings]);
  assert.equal(sync.code, 0, sync.stderr);
  const text = readFileSync(box.configFile, 'utf8');
  const generated = profileNames(text).filter((n) => n !== 'hand-made');
  assert.equal(generated.length, 240);

  const listed = (await awsCli(box, ['configure', 'list-profiles'])).split('\n').filter(Boolean).sort();
  assert.deepEqual(listed, ['default', 'hand-made', ...generated].sort());

  // Every key of every profile, through the CLI's own config loader in one process.
  const loaded = await fullConfig(box);
  for (const name of generated) {
    const section = text.slice(text.indexOf(`[profile ${name}]`)).split(/\r?\n\r?\n|# END/)[0]!;
    const keys = Object.fromEntries([...section.matchAll(/^(\w+) = (.*?)\r?$/gm)].map((m) => [m[1]!, m[2]!]));
    assert.deepEqual(loaded.profiles[name], keys, name);
  }
  assert.equal(loaded.sso_sessions.other?.sso_start_url, 'https://d-0000000000.awsapps.com/start');
  assert.equal(loaded.sso_sessions.mycorp?.sso_region, 'eu-north-1');
  const one = generated.find((n) => n.startsWith('other-'))!;
  assert.equal((await awsCli(box, ['configure', 'get', 'sso_session', '--profile', one])).trim(), 'other');
  assert.equal((await awsCli(box, ['configure', 'get', 'duration_seconds', '--profile', one])).trim(), '43200');
});

test("a token written by sso-sync login is loaded by the AWS CLI's own SSO token code", async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  assert.equal((await box.loginWithBrowser()).code, 0);
  const profile = profileNames(readFileSync(box.configFile, 'utf8'))[0]!;
  const cached = JSON.parse(readFileSync(tokenCachePath(box.home, 'mycorp'), 'utf8')) as {
    accessToken: string;
    expiresAt: string;
  };

  const loaded = JSON.parse(
    await cliPython(
      box,
      'import hashlib, json, sys, botocore.session\nfrom botocore.tokens import SSOTokenProvider\n' +
        't = SSOTokenProvider(botocore.session.Session(profile=sys.argv[1])).load_token().get_frozen_token()\n' +
        'print(json.dumps({"sha256": hashlib.sha256(t.token.encode()).hexdigest(), "expiration": t.expiration.isoformat()}))',
      [profile],
    ),
  ) as { sha256: string; expiration: string };
  assert.equal(
    loaded.sha256,
    createHash('sha256').update(cached.accessToken).digest('hex'),
    'the CLI loaded the same token',
  );
  assert.equal(Date.parse(loaded.expiration), Date.parse(cached.expiresAt));
});

test("a token written by the AWS CLI's own cache code is used by sso-sync", async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  const { accessToken, expiresAt } = box.emulator.issueAccessToken({ expiresInSeconds: 3600 });
  await cliPython(
    box,
    'import os, sys\nfrom botocore.utils import JSONFileCache, SSOTokenLoader\n' +
      'loader = SSOTokenLoader(cache=JSONFileCache(os.path.expanduser("~/.aws/sso/cache")))\n' +
      'loader.save_token(sys.argv[1], {"startUrl": sys.argv[1], "region": "eu-north-1", "accessToken": sys.argv[2], "expiresAt": sys.argv[3]}, session_name="mycorp")',
    ['https://d-1234567890.awsapps.com/start', accessToken, expiresAt.toISOString().replace(/\.\d+Z$/, 'Z')],
  );
  const sync = await box.run(['--once']);
  assert.equal(sync.code, 0, sync.stderr);
  assert.equal(
    profileNames(readFileSync(box.configFile, 'utf8')).length,
    builtinFixture().accounts.reduce((n, a) => n + a.roles.length, 0),
  );
});
