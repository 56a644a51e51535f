/**
 * The naming settings as the file gives them: `case`, `role_case`, trims, region lists and `profiles.accounts`,
 * what they become, and every mistake refused when the settings load, naming its key (exit 2).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSettings } from '../../src/settings/check-settings.js';
import { settingsProblems } from '../helpers/settings-problems.js';

const problems = settingsProblems;

test('the naming settings load as written, overrides in the order of the file', () => {
  const s = parseSettings(
    `profiles:
  name: "{account_name}.{role}.{region_short}"
  case: keep
  role_case: lower
  account_trim: ["-(eu|us)$"]
  role_trim: [Access$]
  regions:
    - { match: "prod*", region: [eu-west-1, us-east-1] }
  default_region: [eu-north-1]
  accounts:
    "*sandbox*": { exclude: true }
    "111111111111":
      alias: prod
      region: eu-central-1
      set: { output: text }
      roles:
        AdministratorAccess: { alias: admin, region: [us-east-1, us-west-2] }
        "Billing*": { exclude: true }
`,
    '/s.yaml',
  );
  assert.deepEqual(
    {
      name: s.rules.name,
      accountCase: s.rules.accountCase,
      roleCase: s.rules.roleCase,
      accountTrim: s.rules.accountTrim,
      roleTrim: s.rules.roleTrim,
      regions: s.rules.regions,
      defaultRegion: s.rules.defaultRegion,
    },
    {
      name: '{account_name}.{role}.{region_short}',
      accountCase: 'keep',
      roleCase: 'lower',
      accountTrim: ['-(eu|us)$'],
      roleTrim: ['Access$'],
      regions: [{ match: 'prod*', region: ['eu-west-1', 'us-east-1'] }],
      defaultRegion: ['eu-north-1'],
    },
  );
  assert.deepEqual(s.rules.accounts, [
    { key: '*sandbox*', alias: undefined, region: undefined, exclude: true, set: undefined, roles: [] },
    {
      key: '111111111111',
      alias: 'prod',
      region: 'eu-central-1',
      exclude: undefined,
      set: { output: 'text' },
      roles: [
        { key: 'AdministratorAccess', alias: 'admin', region: ['us-east-1', 'us-west-2'] },
        { key: 'Billing*', exclude: true },
      ],
    },
  ]);
  assert.deepEqual(s.notices, []);
});

test('without naming settings, names are as they always were: account part lowercased, role kept, no overrides', () => {
  const s = parseSettings('', '/s.yaml');
  assert.deepEqual(
    [s.rules.accountCase, s.rules.roleCase, s.rules.accountTrim, s.rules.roleTrim, s.rules.accounts],
    ['lower', 'keep', [], [], []],
  );
});

test('every naming mistake is refused at once, each naming its key', () => {
  const found = problems(`profiles:
  name: "{account}-{regoin}"
  case: title
  account_trim: ["(unclosed", "ok"]
  role_trim: [""]
  regions: [{ match: "*", region: [eu-west-1, eu-west-1] }, { match: "x", region: north }]
  accounts:
    "111111111111": { alias: "bad name", region: [], set: { region: x } }
    "*prod*": { alias: prod, roles: { "Admin*": { alias: a }, Billing: { exclude: yes } } }
    "MyCorp Dev": { alias: dev, typo: 1 }
`);
  assert.deepEqual(found, [
    '/s.yaml: profiles.name: unknown placeholder {regoin}; use {account}, {account_id}, {account_name}, {role}, ' +
      '{role_name}, {session}, {region}, {region_short}',
    '/s.yaml: profiles.name: the name must contain {role} or {role_name}, or every role of an account would have ' +
      'one name',
    '/s.yaml: profiles.regions[0].region: eu-west-1 is given twice',
    '/s.yaml: profiles.regions[1].region: expected an AWS region such as eu-west-1',
    '/s.yaml: profiles.case: expected lower, keep or upper',
    '/s.yaml: profiles.account_trim[0]: not a valid regular expression (/(unclosed/gi: Unterminated group)',
    '/s.yaml: profiles.role_trim[0]: expected a regular expression',
    '/s.yaml: profiles.accounts.111111111111.alias: expected a name of A-Za-z0-9._-',
    '/s.yaml: profiles.accounts.111111111111.region: expected at least one region',
    '/s.yaml: profiles.accounts.111111111111.set.region: invalid key: this key is computed by sso-sync and cannot ' +
      'be set',
    '/s.yaml: profiles.accounts.*prod*.roles.Billing.exclude: Invalid input: expected boolean, received string',
    '/s.yaml: profiles.accounts.*prod*.roles.Admin*.alias: an alias needs a key that names one role: this key has * ' +
      'or ?, so every role it matches would get the same name; give the alias under the role name itself',
    '/s.yaml: profiles.accounts.MyCorp Dev: unknown key typo',
    '/s.yaml: profiles.accounts.*prod*.alias: an alias needs a key that names one account: this key has * or ?, so ' +
      'every account it matches would get the same name; give the alias under the account id or name itself',
  ]);
});

test('a template that could give an empty name, or one name for several profiles, is refused', () => {
  assert.deepEqual(problems('profiles:\n  name: "{role}-{session}"\n'), [
    '/s.yaml: profiles.name: the name must contain {account}, {account_id} or {account_name}',
  ]);
  assert.deepEqual(problems('profiles:\n  name: "{account}"\n'), [
    '/s.yaml: profiles.name: the name must contain {role} or {role_name}, or every role of an account would have ' +
      'one name',
  ]);
  assert.deepEqual(problems('profiles:\n  name: "aws"\n'), [
    '/s.yaml: profiles.name: the name must contain {account}, {account_id} or {account_name}',
    '/s.yaml: profiles.name: the name must contain {role} or {role_name}, or every role of an account would have ' +
      'one name',
  ]);
  // An account name with no wildcard names one account, and may have an alias; so may an account id.
  assert.equal(
    parseSettings('profiles:\n  accounts:\n    MyCorp Prod: { alias: prod }\n', '/s.yaml').rules.accounts?.[0]?.alias,
    'prod',
  );
  // Two regions whose short names are the same would give their profiles one name.
  assert.deepEqual(problems('profiles:\n  default_region: [us-isob-east-1, us-isob-e-1]\n'), [
    '/s.yaml: profiles.default_region: us-isob-east-1 and us-isob-e-1 have the same short name usisobe1',
  ]);
});

test('an account id whose leading 0 YAML dropped is refused with the quoting it needs', () => {
  assert.deepEqual(problems('profiles:\n  accounts:\n    012345678901: { alias: prod }\n'), [
    '/s.yaml: profiles.accounts.12345678901: invalid key: an account id has 12 digits: quote it ("012345678901"), ' +
      'since YAML reads an unquoted id as a number and drops a leading 0',
  ]);
  const quoted = parseSettings('profiles:\n  accounts:\n    "012345678901": { alias: prod }\n', '/s.yaml');
  assert.equal(quoted.rules.accounts?.[0]?.key, '012345678901');
});

test('an unknown key in an override gets the key meant; a region sso-sync does not know in a list is a notice', () => {
  assert.deepEqual(problems('profiles:\n  accounts:\n    "111111111111": { regoin: eu-west-1 }\n'), [
    '/s.yaml: profiles.accounts.111111111111: unknown key regoin (did you mean region?)',
  ]);
  const s = parseSettings(
    'profiles:\n  accounts:\n    "1*": { roles: { Admin: { region: [eu-west-1, eu-west-9] } } }\n',
    '/s.yaml',
  );
  assert.deepEqual(s.notices, [
    'profiles.accounts.1*.roles.Admin.region: eu-west-9 is not a region sso-sync knows; it is used as given, but ' +
      'check the spelling (a profile with a region that does not exist fails in every tool that uses it)',
  ]);
});
