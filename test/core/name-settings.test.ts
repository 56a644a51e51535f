/**
 * The naming settings beyond the seed's: `{account_name}`, case, trims, per-account overrides, several regions, and
 * the order in which overrides, rules and defaults apply.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildProfiles, defaultRules, maxNameLength } from '../../src/core/profile-names.js';
import { shortRegion } from '../../src/core/region-names.js';
import type { Assignment, ProfileRules, SessionDef } from '../../src/core/types.js';

const mycorp: SessionDef = {
  name: 'mycorp',
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'eu-north-1',
  scopes: ['sso:account:access'],
};
const sessions = new Map([[mycorp.name, mycorp]]);

const prodAdmin: Assignment = {
  session: 'mycorp',
  accountId: '111111111111',
  accountName: 'MyCorp Prod (EU)',
  roleName: 'AdministratorAccess',
};
const prodPower: Assignment = { ...prodAdmin, roleName: 'PowerUserAccess' };
const prodRead: Assignment = { ...prodAdmin, roleName: 'ReadOnlyAccess' };
const devAdmin: Assignment = { ...prodAdmin, accountId: '222222222222', accountName: 'MyCorp Dev' };
const devPower: Assignment = { ...devAdmin, roleName: 'PowerUserAccess' };
const sandbox: Assignment = { ...prodAdmin, accountId: '333333333333', accountName: 'Team Sandbox 1' };

function build(assignments: Assignment[], rules: Partial<ProfileRules>) {
  return buildProfiles(assignments, { ...defaultRules, stripPrefix: ['mycorp-'], ...rules }, sessions, new Map());
}

/** Each profile's name with its region. */
function named(assignments: Assignment[], rules: Partial<ProfileRules>): Record<string, string | undefined> {
  return Object.fromEntries(build(assignments, rules).profiles.map((p) => [p.name, Object.fromEntries(p.keys).region]));
}

test('{account_name} is the account name as given: case kept, no prefix stripped, only unsafe runs become -', () => {
  assert.deepEqual(Object.keys(named([prodAdmin], { name: '{account_name}-{role}' })), ['MyCorp-Prod-EU-admin']);
  assert.deepEqual(
    Object.keys(named([{ ...prodAdmin, accountName: '日本' }], { name: '{account_name}-{role}' })),
    ['111111111111-admin'],
    'a name with no usable character is the account id, as for {account}',
  );
});

test('case: lower (the default), keep or upper for the account part; role_case for the role part', () => {
  const both = [prodAdmin, prodPower];
  assert.deepEqual(Object.keys(named(both, {})), ['prod-eu-PowerUserAccess', 'prod-eu-admin']);
  assert.deepEqual(Object.keys(named(both, { accountCase: 'keep' })), ['Prod-EU-PowerUserAccess', 'Prod-EU-admin']);
  assert.deepEqual(Object.keys(named(both, { accountCase: 'upper' })), ['PROD-EU-PowerUserAccess', 'PROD-EU-admin']);
  assert.deepEqual(
    Object.keys(named(both, { roleCase: 'lower' })),
    ['prod-eu-admin', 'prod-eu-poweruseraccess'],
    'an alias is used as written; other roles are cased',
  );
  assert.deepEqual(Object.keys(named(both, { roleCase: 'upper', accountCase: 'upper' })), [
    'PROD-EU-POWERUSERACCESS',
    'PROD-EU-admin',
  ]);
  assert.deepEqual(
    Object.keys(named([{ ...prodAdmin, accountName: 'MYCORP-Prod' }], { accountCase: 'keep' })),
    ['Prod-admin'],
    'the prefix is compared without case, whatever the case kept',
  );
});

test('trims: every match of each expression is removed from the part, in order, case-insensitively', () => {
  assert.deepEqual(Object.keys(named([prodAdmin, prodPower], { accountTrim: ['-eu$'], roleTrim: ['Access$'] })), [
    'prod-PowerUser',
    'prod-admin',
  ]);
  assert.deepEqual(
    Object.keys(named([sandbox], { accountTrim: ['\\d+', '^team-'] })),
    ['sandbox-admin'],
    'a trim that leaves a - at an end leaves a safe name',
  );
  assert.deepEqual(
    Object.keys(named([prodAdmin], { accountTrim: ['.*'] })),
    ['111111111111-admin'],
    'an account part trimmed to nothing is the account id',
  );
  assert.deepEqual(
    Object.keys(named([prodPower], { roleTrim: ['.+'] })),
    ['prod-eu'],
    'a role part trimmed to nothing is dropped with its separator',
  );
  assert.deepEqual(Object.keys(named([prodAdmin], { accountTrim: ['EU'], accountCase: 'keep' })), ['Prod-admin']);
});

test('an account override: its alias is {account}, its region, its extra keys over profiles.set, its exclude', () => {
  const { profiles, skipped } = build([prodAdmin, prodRead, devAdmin, sandbox], {
    set: { output: 'json', cli_pager: 'less' },
    accounts: [
      { key: '111111111111', alias: 'production', region: 'eu-central-1', set: { output: 'text' } },
      { key: '*sandbox*', exclude: true },
    ],
  });
  assert.deepEqual(
    profiles.map((p) => [p.name, Object.fromEntries(p.keys)]),
    [
      [
        'dev-admin',
        {
          sso_session: 'mycorp',
          sso_account_id: '222222222222',
          sso_role_name: 'AdministratorAccess',
          region: 'eu-north-1',
          cli_pager: 'less',
          output: 'json',
        },
      ],
      [
        'production',
        {
          sso_session: 'mycorp',
          sso_account_id: '111111111111',
          sso_role_name: 'ReadOnlyAccess',
          region: 'eu-central-1',
          cli_pager: 'less',
          output: 'text',
        },
      ],
      [
        'production-admin',
        {
          sso_session: 'mycorp',
          sso_account_id: '111111111111',
          sso_role_name: 'AdministratorAccess',
          region: 'eu-central-1',
          cli_pager: 'less',
          output: 'text',
        },
      ],
    ],
  );
  assert.deepEqual(
    skipped.map((s) => [s.reason, s.by, s.assignment.accountId]),
    [['excluded-account', 'profiles.accounts.*sandbox*', '333333333333']],
  );
});

test('overrides of roles inside an account: alias, region and exclude, for that account only', () => {
  const result = build([prodAdmin, prodPower, devAdmin, devPower], {
    accounts: [
      {
        key: 'MyCorp Prod (EU)',
        roles: [
          { key: 'AdministratorAccess', alias: 'root', region: 'us-east-1' },
          { key: 'Power*', exclude: true },
        ],
      },
    ],
  });
  assert.deepEqual(
    result.profiles.map((p) => [p.name, Object.fromEntries(p.keys).region]),
    [
      ['dev-PowerUserAccess', 'eu-north-1'],
      ['dev-admin', 'eu-north-1'],
      ['prod-eu-root', 'us-east-1'],
    ],
  );
  assert.deepEqual(
    result.skipped.map((s) => [s.reason, s.by]),
    [['excluded-role', 'profiles.accounts.MyCorp Prod (EU).roles.Power*']],
  );
  assert.deepEqual(result.unmatched, []);
});

test('the order: the role inside an override, then the account override, then the profiles rules, then defaults', () => {
  const rules: Partial<ProfileRules> = {
    regions: [{ match: 'prod*', region: 'us-west-2' }],
    defaultRegion: 'eu-west-1',
    excludeAccounts: ['*'],
    excludeRoles: ['PowerUserAccess'],
    roleAlias: { AdministratorAccess: 'admin', PowerUserAccess: 'power' },
    accounts: [
      // A glob written first, then the account's id: the id is more specific and wins what both set.
      { key: 'MyCorp*', exclude: false, region: 'ap-south-1', alias: undefined, set: { output: 'yaml' } },
      {
        key: '111111111111',
        region: 'eu-central-1',
        set: { output: 'json' },
        roles: [
          { key: 'Power*', alias: undefined, exclude: false, region: 'us-east-2' },
          { key: 'PowerUserAccess', alias: 'pu' },
        ],
      },
    ],
  };
  const { profiles, skipped } = build([prodAdmin, prodPower, devAdmin, devPower, sandbox], rules);
  assert.deepEqual(
    profiles.map((p) => [p.name, Object.fromEntries(p.keys).region, Object.fromEntries(p.keys).output]),
    [
      // dev: the glob's region and keys; its PowerUserAccess still excluded by profiles.exclude_roles.
      ['dev-admin', 'ap-south-1', 'yaml'],
      // prod: the id's region beats the glob's and the region rule; its role entries beat exclude_roles; the role
      // name's own entry gives the alias, the glob entry (written first) the region.
      ['prod-eu-admin', 'eu-central-1', 'json'],
      ['prod-eu-pu', 'us-east-2', 'json'],
    ],
  );
  assert.deepEqual(skipped.map((s) => [s.reason, s.by, s.assignment.accountName, s.assignment.roleName]).sort(), [
    ['excluded-account', 'profiles.exclude_accounts', 'Team Sandbox 1', 'AdministratorAccess'],
    ['excluded-role', 'profiles.exclude_roles', 'MyCorp Dev', 'PowerUserAccess'],
  ]);
  // Without overrides, the region rule matches the name, then default_region applies.
  assert.deepEqual(named([prodAdmin, devAdmin], { ...rules, accounts: [], excludeAccounts: [] }), {
    'dev-admin': 'eu-west-1',
    'prod-eu-admin': 'us-west-2',
  });
});

test('an override that matches nothing is named, an account one and a role one inside a matched account', () => {
  const { unmatched } = build([prodAdmin, devAdmin], {
    accounts: [
      { key: '111111111112', alias: 'typo' },
      {
        key: '*dev*',
        roles: [
          { key: 'AdministratorAccess', region: 'us-east-1' },
          { key: 'Billing', exclude: true },
        ],
      },
      { key: 'Nobody*', exclude: true, roles: [{ key: 'X', exclude: true }] },
    ],
  });
  assert.deepEqual(unmatched, [
    'profiles.accounts.111111111112',
    'profiles.accounts.*dev*.roles.Billing',
    'profiles.accounts.Nobody*',
  ]);
});

test('several regions: one profile each, named with a short region suffix, or where the template puts {region}', () => {
  const regions = { defaultRegion: ['eu-west-1', 'us-east-1'] };
  assert.deepEqual(named([prodAdmin, devAdmin], regions), {
    'dev-admin-euw1': 'eu-west-1',
    'dev-admin-use1': 'us-east-1',
    'prod-eu-admin-euw1': 'eu-west-1',
    'prod-eu-admin-use1': 'us-east-1',
  });
  assert.deepEqual(named([devAdmin], { ...regions, name: '{region}.{account}-{role}' }), {
    'eu-west-1.dev-admin': 'eu-west-1',
    'us-east-1.dev-admin': 'us-east-1',
  });
  assert.deepEqual(named([devAdmin], { ...regions, name: '{account}-{role}-{region_short}' }), {
    'dev-admin-euw1': 'eu-west-1',
    'dev-admin-use1': 'us-east-1',
  });
  assert.deepEqual(
    named([devAdmin], { name: '{account}-{role}-{region}' }),
    { 'dev-admin-eu-north-1': 'eu-north-1' },
    'with one region, {region} still names it',
  );
  assert.deepEqual(
    named([devAdmin, prodAdmin], {
      regions: [{ match: 'dev-*', region: ['eu-west-1', 'ap-southeast-2'] }],
      accounts: [{ key: '111111111111', roles: [{ key: 'Admin*', region: ['us-west-2', 'us-east-1'] }] }],
    }),
    {
      'dev-admin-apse2': 'ap-southeast-2',
      'dev-admin-euw1': 'eu-west-1',
      'prod-eu-admin-use1': 'us-east-1',
      'prod-eu-admin-usw2': 'us-west-2',
    },
    'a region rule and an override may give a list; rules match the name without its region part',
  );
});

test('short region names: the first part, the direction letters, the number', () => {
  const cases = {
    'us-east-1': 'use1',
    'eu-west-3': 'euw3',
    'ap-southeast-2': 'apse2',
    'ap-northeast-1': 'apne1',
    'eu-central-1': 'euc1',
    'us-gov-west-1': 'usgovw1',
    'cn-northwest-1': 'cnnw1',
    'eusc-de-east-1': 'euscdee1',
  };
  assert.deepEqual(Object.fromEntries(Object.keys(cases).map((r) => [r, shortRegion(r)])), cases);
});

test('regional names stay within 128 characters and unique, with every suffix', () => {
  const long = { ...prodAdmin, accountName: 'A'.repeat(200) };
  const other = { ...long, accountId: '999999999999' };
  const names = Object.keys(named([long, other], { defaultRegion: ['eu-west-1', 'us-east-1'] }));
  assert.equal(names.length, 4, 'four different names');
  for (const n of names) assert.ok(n.length <= maxNameLength, n);
  const short = Object.keys(
    named([prodAdmin, { ...prodAdmin, accountId: '999999999999' }], { defaultRegion: ['eu-west-1', 'us-east-1'] }),
  );
  assert.deepEqual(
    short,
    [
      'prod-eu-admin-euw1-111111111111',
      'prod-eu-admin-euw1-999999999999',
      'prod-eu-admin-use1-111111111111',
      'prod-eu-admin-use1-999999999999',
    ],
    'a collision suffix follows the region suffix',
  );
  const cut = Object.keys(
    named([long], { defaultRegion: ['eu-west-1', 'us-east-1'], name: '{account}-{role}-{region}' }),
  );
  assert.equal(new Set(cut).size, 2, 'two regions cut away by the length limit still give two names');
});
