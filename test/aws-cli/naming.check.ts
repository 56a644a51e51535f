/**
 * The AWS CLI v2 (/usr/bin/aws) reads what the naming settings make: overrides, several regions, case and trims,
 * then the same profiles renamed by new settings. Run by `npm run test:aws-cli`.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { profileNames, sandbox, sessionSection } from '../helpers/sandbox.js';
import { awsCli, fullConfig } from './cli-tools.js';

/** The keys of each generated section as written, by profile name. */
function writtenKeys(text: string): Record<string, Record<string, string>> {
  return Object.fromEntries(
    profileNames(text).map((name) => {
      const section = text.slice(text.indexOf(`[profile ${name}]\n`)).split(/\n\n|# END/)[0]!;
      return [name, Object.fromEntries([...section.matchAll(/^(\w+) = (.*)$/gm)].map((m) => [m[1]!, m[2]!]))];
    }),
  );
}

test('the AWS CLI reads every profile the naming settings make, with its keys, and again after a rename', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(`[default]\nregion = eu-west-1\n\n${sessionSection()}`);
  box.signIn();
  const settings = path.join(box.home, 'settings.yaml');
  writeFileSync(
    settings,
    `profiles:
  strip_prefix: [mycorp-]
  case: upper
  role_trim: [Access$]
  default_region: eu-west-1
  regions: [{ match: "*STAGING*", region: [eu-west-1, us-east-1] }]
  set: { output: json }
  accounts:
    "111111111111": { alias: prod, region: eu-central-1, set: { output: text } }
    "*sandbox*": { exclude: true }
    Shared Services: { roles: { Billing: { alias: bill, region: [us-east-1, us-west-2] } } }
`,
  );
  assert.equal((await box.run(['--once', '--settings', settings])).code, 0);
  const text = readFileSync(box.configFile, 'utf8');
  const generated = writtenKeys(text);
  assert.equal(generated['STAGING-admin-use1']?.region, 'us-east-1');
  assert.equal(generated['SHARED-SERVICES-bill-usw2']?.region, 'us-west-2');
  assert.equal(generated['prod-admin']?.output, 'text');
  assert.equal(generated['STAGING-PowerUser-euw1']?.sso_role_name, 'PowerUserAccess');
  assert.ok(!Object.keys(generated).some((n) => n.startsWith('SANDBOX')), 'the sandbox account is excluded');

  const listed = async () => (await awsCli(box, ['configure', 'list-profiles'])).split('\n').filter(Boolean).sort();
  assert.deepEqual(await listed(), ['default', ...Object.keys(generated)].sort());
  const loaded = await fullConfig(box);
  for (const [name, keys] of Object.entries(generated)) assert.deepEqual(loaded.profiles[name], keys, name);
  const get = async (key: string, profile: string) =>
    (await awsCli(box, ['configure', 'get', key, '--profile', profile])).trim();
  assert.equal(await get('region', 'STAGING-admin-use1'), 'us-east-1');
  assert.equal(await get('sso_account_id', 'prod-admin'), '111111111111');

  // New settings rename every profile: the CLI then knows the new names, and none of the old.
  writeFileSync(
    settings,
    readFileSync(settings, 'utf8').replace('case: upper', 'case: keep\n  name: "{role}.{account}"'),
  );
  const renamed = await box.run(['--once', '--settings', settings]);
  assert.equal(renamed.code, 0, renamed.stderr);
  const after = writtenKeys(readFileSync(box.configFile, 'utf8'));
  assert.equal(after['admin.staging-use1']?.region, 'us-east-1');
  assert.deepEqual(await listed(), ['default', ...Object.keys(after)].sort());
  const reloaded = await fullConfig(box);
  for (const [name, keys] of Object.entries(after)) assert.deepEqual(reloaded.profiles[name], keys, name);
  assert.equal(await get('sso_role_name', 'bill.Shared-Services-usw2'), 'Billing');
});
