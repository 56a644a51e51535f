/** Profile names: the seed script's defaults, templates, safe names, collisions, regions, excludes and skips. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globMatcher, matchesAny } from '../../src/core/glob.js';
import {
  accountPart,
  baseName,
  buildProfiles,
  candidateNames,
  defaultRules,
  fillTemplate,
  maxNameLength,
  rolePart,
  safeName,
  uniqueNames,
} from '../../src/core/profile-names.js';
import type { Assignment, ProfileRules, SessionDef } from '../../src/core/types.js';

const seedRules: ProfileRules = { ...defaultRules, stripPrefix: ['mycorp-'] };
const mycorp: SessionDef = {
  name: 'mycorp',
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'eu-north-1',
  scopes: ['sso:account:access'],
};
const sessions = new Map([[mycorp.name, mycorp]]);

function assignment(accountName: string, roleName: string, accountId = '111111111111', session = 'mycorp'): Assignment {
  return { session, accountId, accountName, roleName };
}

function build(assignments: Assignment[], rules: ProfileRules = seedRules, taken: Iterable<string> = []) {
  return buildProfiles(
    assignments,
    rules,
    sessions,
    new Map([...taken].map((name) => [name, "outside sso-sync's blocks"])),
  );
}

const names = (assignments: Assignment[], rules: ProfileRules = seedRules) =>
  build(assignments, rules).profiles.map((p) => p.name);

test('the seed defaults: "MyCorp Prod" gives prod-admin, prod and prod-RoleName', () => {
  assert.equal(baseName(assignment('MyCorp Prod', 'AdministratorAccess'), seedRules), 'prod-admin');
  assert.equal(baseName(assignment('MyCorp Prod', 'ReadOnlyAccess'), seedRules), 'prod');
  assert.equal(baseName(assignment('MyCorp Prod', 'PowerUserAccess'), seedRules), 'prod-PowerUserAccess');
  assert.equal(
    baseName(assignment('MyCorp Prod', 'billing_Viewer'), seedRules),
    'prod-billing_Viewer',
    'the role keeps its case',
  );
  assert.equal(
    baseName(assignment('MyCorp Data Lake', 'AdministratorAccess'), seedRules),
    'data-lake-admin',
    'spaces become -',
  );
  assert.equal(
    baseName(assignment('  MyCorp   Shared\tServices ', 'ReadOnlyAccess'), seedRules),
    'mycorp-shared-services',
    'runs of blanks become one -; the prefix is not at the start',
  );
  assert.equal(
    baseName(assignment('MyCorp Prod', 'AdministratorAccess'), defaultRules),
    'mycorp-prod-admin',
    'no prefix stripped unless configured',
  );
});

test("a name shaped like the JS SDK's key for a [services] or [sso-session] section gets a - instead of the dot", () => {
  assert.equal(baseName(assignment('Services.My Services', 'ReadOnlyAccess'), defaultRules), 'services-my-services');
  assert.equal(baseName(assignment('sso-session.mycorp', 'ReadOnlyAccess'), defaultRules), 'sso-session-mycorp');
  assert.equal(baseName(assignment('SSO-Session.x', 'AdministratorAccess'), defaultRules), 'sso-session-x-admin');
  const template = { ...defaultRules, name: 'services.{account}' };
  assert.equal(
    baseName(assignment('Prod', 'ReadOnlyAccess'), template),
    'services-prod',
    'a template cannot make one either',
  );
  assert.equal(
    baseName(assignment('my.services.x', 'ReadOnlyAccess'), defaultRules),
    'my.services.x',
    'dots elsewhere stay',
  );
});

test('accountPart: lowercased, spaces to -, the first matching prefix stripped once', () => {
  assert.equal(accountPart('MyCorp Prod', ['mycorp-']), 'prod');
  assert.equal(accountPart('MyCorp Prod', ['MyCorp ']), 'prod', 'a prefix is normalised like the name');
  assert.equal(accountPart('mycorp-mycorp-prod', ['mycorp-']), 'mycorp-prod', 'stripped once');
  assert.equal(accountPart('Acme Prod', ['mycorp-', 'acme-', 'acme-prod']), 'prod', 'the first matching prefix wins');
  assert.equal(accountPart('MyCorp', ['mycorp']), 'mycorp', 'a name that is only the prefix keeps it');
  assert.equal(accountPart('Prod', ['']), 'prod', 'an empty prefix strips nothing');
  assert.equal(accountPart('Prod [EU] = 1', []), 'prod-eu-1');
  assert.equal(accountPart('日本', []), '');
});

test('rolePart: an alias replaces the role, "" drops it, anything else keeps the role name', () => {
  assert.equal(rolePart('AdministratorAccess', defaultRules.roleAlias), 'admin');
  assert.equal(rolePart('ReadOnlyAccess', defaultRules.roleAlias), '');
  assert.equal(rolePart('PowerUserAccess', defaultRules.roleAlias), 'PowerUserAccess');
  assert.equal(rolePart('Ops+Dev@Team', {}), 'Ops-Dev-Team');
  // Role names that are also names of Object.prototype members are not aliases.
  assert.equal(rolePart('constructor', defaultRules.roleAlias), 'constructor');
  assert.equal(rolePart('toString', {}), 'toString');
  assert.equal(rolePart('__proto__', {}), '__proto__');
});

test('fillTemplate: an empty placeholder takes one neighbouring separator with it', () => {
  const v = { account: 'prod', account_id: '111111111111', role: '', role_name: 'ReadOnlyAccess', session: 'mycorp' };
  const cases: [string, Record<string, string>, string][] = [
    ['{account}-{role}', v, 'prod'],
    ['{account}-{role}', { ...v, role: 'admin' }, 'prod-admin'],
    ['{role}-{account}', v, 'prod'],
    ['{account}.{role}.{session}', v, 'prod.mycorp'],
    ['{account}-{role}-{account_id}', v, 'prod-111111111111'],
    ['aws-{account}-{role}', v, 'aws-prod'],
    ['{account_id}-{role_name}', v, '111111111111-ReadOnlyAccess'],
    ['{account}-{role}', { ...v, account: '', role: 'admin' }, 'admin'],
    // The same rule with the other separators a template may use: no separator is left dangling at the end.
    ['{account}.{role}', v, 'prod'],
    ['{account}_{role}', v, 'prod'],
    ['{session}_{account}_{role}', v, 'mycorp_prod'],
    ['{role}_{account}', v, 'prod'],
  ];
  const actual = Object.fromEntries(cases.map(([t, values], i) => [`${i}: ${t}`, fillTemplate(t, values)]));
  const expected = Object.fromEntries(cases.map(([t, , want], i) => [`${i}: ${t}`, want]));
  assert.deepEqual(actual, expected);
});

test('safeName: only A-Za-z0-9._- survive; other runs become one -, none at the ends', () => {
  assert.equal(safeName('Prod: EU/West'), 'Prod-EU-West');
  assert.equal(safeName('--a--b--'), 'a-b');
  assert.equal(safeName('a..b__c'), 'a..b__c');
  assert.equal(safeName('Ünïcödé'), 'n-c-d');
  assert.equal(safeName(']\n[profile evil]\ncredential_process = sh -c id'), 'profile-evil-credential_process-sh-c-id');
  assert.equal(safeName('a\r\nb'), 'a-b');
  assert.equal(safeName(''), '');
  assert.equal(safeName('😀'), '');
});

test('baseName: an account part that is empty falls back to the account id; names are cut at the limit', () => {
  assert.equal(baseName(assignment('日本', 'AdministratorAccess'), seedRules), '111111111111-admin');
  assert.equal(baseName(assignment('', 'ReadOnlyAccess'), seedRules), '111111111111');
  const long = baseName(assignment(`${'a'.repeat(127)} b`, 'AdministratorAccess'), seedRules);
  assert.equal(long, 'a'.repeat(127), 'cut to the limit, with no - left at the end');
  assert.ok(long.length <= maxNameLength);
});

test('collisions: every colliding name gets the account id, whatever the order', () => {
  const a = assignment('MyCorp Prod', 'AdministratorAccess', '111111111111');
  const b = assignment('Prod', 'AdministratorAccess', '222222222222');
  const c = assignment('MyCorp Prod', 'ReadOnlyAccess', '111111111111');
  assert.deepEqual(names([a, b, c]), ['prod', 'prod-admin-111111111111', 'prod-admin-222222222222']);
  assert.deepEqual(names([c, b, a]), names([a, b, c]));
  assert.deepEqual(uniqueNames([b, a], seedRules), ['prod-admin-222222222222', 'prod-admin-111111111111']);
});

test('collisions: the same account in two sessions adds the session; names still equal add a hash', () => {
  const s1 = assignment('Prod', 'ReadOnlyAccess', '111111111111', 'one');
  const s2 = assignment('Prod', 'ReadOnlyAccess', '111111111111', 'two');
  assert.deepEqual(uniqueNames([s1, s2], seedRules), ['prod-111111111111-one', 'prod-111111111111-two']);
  // Two role names that differ only in characters safeName removes, on one account in one session.
  const r1 = assignment('Prod', 'Ops+Dev', '111111111111');
  const r2 = assignment('Prod', 'Ops=Dev', '111111111111');
  const [n1, n2] = uniqueNames([r1, r2], seedRules);
  assert.match(n1!, /^prod-Ops-Dev-111111111111-mycorp-[0-9a-f]{8}$/);
  assert.match(n2!, /^prod-Ops-Dev-111111111111-mycorp-[0-9a-f]{8}$/);
  assert.notEqual(n1, n2);
  assert.deepEqual(uniqueNames([r2, r1], seedRules), [n2, n1], 'the same names in another order');
});

test('a suffixed name that meets an account literally named like it is still made unique', () => {
  const x1 = assignment('X', 'ReadOnlyAccess', '111111111111');
  const x2 = assignment('X', 'ReadOnlyAccess', '222222222222');
  const literal = assignment('x-111111111111', 'ReadOnlyAccess', '333333333333');
  const result = uniqueNames([x1, x2, literal], seedRules);
  assert.equal(new Set(result).size, 3, result.join(', '));
  assert.ok(result.includes('x-222222222222'));
});

test('a generated name "default" gets the account id; a user section named default is no collision for others', () => {
  assert.deepEqual(names([assignment('Default', 'ReadOnlyAccess', '555555555555')]), ['default-555555555555']);
  assert.deepEqual(names([assignment('MyCorp Default', 'ReadOnlyAccess', '555555555555')]), ['default-555555555555']);
  assert.deepEqual(names([assignment('Default', 'AdministratorAccess', '555555555555')]), ['default-admin']);
});

test('region rules: first match wins, on the name before any collision suffix, else default_region, else the session region', () => {
  const rules: ProfileRules = {
    ...seedRules,
    regions: [
      { match: '*-eu*', region: 'eu-west-3' },
      { match: 'prod*', region: 'us-west-2' },
      { match: '*-admin', region: 'us-east-1' },
    ],
    defaultRegion: 'eu-west-1',
  };
  const profiles = build(
    [
      assignment('MyCorp Prod-EU', 'AdministratorAccess', '111111111111'),
      assignment('MyCorp Prod', 'AdministratorAccess', '222222222222'),
      assignment('Prod', 'AdministratorAccess', '333333333333'),
      assignment('MyCorp Dev', 'AdministratorAccess', '444444444444'),
      assignment('MyCorp Dev', 'PowerUserAccess', '444444444444'),
    ],
    rules,
  ).profiles;
  const region = Object.fromEntries(profiles.map((p) => [p.name, Object.fromEntries(p.keys).region]));
  assert.deepEqual(region, {
    'prod-eu-admin': 'eu-west-3',
    'prod-admin-222222222222': 'us-west-2',
    'prod-admin-333333333333': 'us-west-2',
    'dev-admin': 'us-east-1',
    'dev-PowerUserAccess': 'eu-west-1',
  });
  // A rule that would match only the suffixed name does not match.
  const suffixOnly = build(
    [assignment('A', 'ReadOnlyAccess', '111111111111'), assignment('a', 'ReadOnlyAccess', '222222222222')],
    { ...seedRules, regions: [{ match: '*-111111111111', region: 'ap-south-1' }] },
  ).profiles;
  assert.deepEqual(
    suffixOnly.map((p) => Object.fromEntries(p.keys).region),
    ['eu-north-1', 'eu-north-1'],
    'the session region',
  );
});

test('profile keys: sso_session, sso_account_id, sso_role_name, region, then the extra keys sorted', () => {
  const [p] = build([assignment('MyCorp Prod', 'AdministratorAccess')], {
    ...seedRules,
    defaultRegion: 'eu-west-1',
    set: { output: 'json', duration_seconds: '43200', cli_pager: 'less' },
  }).profiles;
  assert.deepEqual(p!.keys, [
    ['sso_session', 'mycorp'],
    ['sso_account_id', '111111111111'],
    ['sso_role_name', 'AdministratorAccess'],
    ['region', 'eu-west-1'],
    ['cli_pager', 'less'],
    ['duration_seconds', '43200'],
    ['output', 'json'],
  ]);
});

test('excludes: globs on the account name or id, and on the role name, case-insensitive', () => {
  const rules: ProfileRules = {
    ...seedRules,
    excludeAccounts: ['*sandbox*', '3333*'],
    excludeRoles: ['Billing*', 'AWS?eadOnly'],
  };
  const { profiles, skipped } = build(
    [
      assignment('MyCorp Sandbox', 'AdministratorAccess', '111111111111'),
      assignment('MyCorp Audit', 'AdministratorAccess', '333333333333'),
      assignment('MyCorp Prod', 'BillingViewer', '222222222222'),
      assignment('MyCorp Prod', 'AWSReadOnly', '222222222222'),
      assignment('MyCorp Prod', 'AdministratorAccess', '222222222222'),
    ],
    rules,
  );
  assert.deepEqual(
    profiles.map((p) => p.name),
    ['prod-admin'],
  );
  assert.deepEqual(
    skipped.map((s) => [s.reason, s.assignment.accountName, s.assignment.roleName]),
    [
      ['excluded-account', 'MyCorp Sandbox', 'AdministratorAccess'],
      ['excluded-account', 'MyCorp Audit', 'AdministratorAccess'],
      ['excluded-role', 'MyCorp Prod', 'BillingViewer'],
      ['excluded-role', 'MyCorp Prod', 'AWSReadOnly'],
    ],
  );
});

test('globs: * any run, ? one character, everything else literal', () => {
  assert.ok(globMatcher('prod-*')('prod-admin'));
  assert.ok(globMatcher('PROD-*')('prod-admin'));
  assert.ok(globMatcher('a?c')('abc'));
  assert.ok(!globMatcher('a?c')('ac'));
  assert.ok(!globMatcher('a.c')('abc'), '. is literal');
  assert.ok(globMatcher('[x]+(y)')('[x]+(y)'));
  assert.ok(globMatcher('*')('line\nbreak'));
  assert.ok(matchesAny(['nope', '1111*'], 'Prod', '111111111111'));
  assert.ok(!matchesAny([], 'anything'));
});

test('invalid account ids and role names are skipped, never written', () => {
  const bad = [
    assignment('A', 'AdministratorAccess', '12345'),
    assignment('B', 'AdministratorAccess', '1111111111111'),
    assignment('C', 'AdministratorAccess', '11111111111a'),
    assignment('D', 'AdministratorAccess', ' 111111111111'),
    assignment('E', 'AdministratorAccess', '١١١١١١١١١١١١'),
    assignment('F', 'AdministratorAccess', '111111111111\n'),
  ];
  const badRoles = [
    '',
    'Admin Access',
    'a]b',
    'x\ny',
    'x\rsso_role_name = y',
    'r'.repeat(65),
    'rôle',
    'a;b',
    'a#b',
    'a"b',
  ];
  const { profiles, skipped } = build([
    ...bad,
    ...badRoles.map((r) => assignment('G', r, '222222222222')),
    assignment('H', 'r'.repeat(64), '333333333333'),
  ]);
  assert.deepEqual(
    profiles.map((p) => p.roleName),
    ['r'.repeat(64)],
    'IAM role names are at most 64 characters',
  );
  assert.deepEqual(
    skipped.map((s) => s.reason),
    [...bad.map(() => 'invalid-account-id'), ...badRoles.map(() => 'invalid-role-name')],
  );
});

test('the same assignment twice (a repeated page) is one profile', () => {
  const a = assignment('MyCorp Prod', 'AdministratorAccess');
  assert.deepEqual(names([a, { ...a }]), ['prod-admin']);
});

test('a name used by a section outside the blocks is skipped as name-taken', () => {
  const { profiles, skipped } = build(
    [assignment('MyCorp Prod', 'AdministratorAccess'), assignment('MyCorp Prod', 'ReadOnlyAccess')],
    seedRules,
    ['prod-admin'],
  );
  assert.deepEqual(
    profiles.map((p) => p.name),
    ['prod'],
  );
  assert.deepEqual(
    skipped.map((s) => [s.reason, s.name]),
    [['name-taken', 'prod-admin']],
  );
});

test('names stay within 128 characters with every suffix, and stay unique', () => {
  const longAccount = 'A'.repeat(200);
  const session = 's'.repeat(90);
  const clashing = [
    { session, accountId: '111111111111', accountName: longAccount, roleName: 'AdministratorAccess' },
    { session, accountId: '222222222222', accountName: longAccount, roleName: 'AdministratorAccess' },
    { session, accountId: '333333333333', accountName: `${longAccount}x`, roleName: 'AdministratorAccess' },
  ];
  const got = uniqueNames(clashing, defaultRules);
  assert.equal(new Set(got).size, got.length, got.join('\n'));
  for (const n of got) assert.ok(n.length <= maxNameLength, `${n.length}: ${n}`);
  assert.ok(
    got.some((n) => n.endsWith('-111111111111')),
    'the account id suffix is kept whole',
  );
  for (const a of clashing) for (const c of candidateNames(a, defaultRules)) assert.ok(c.length <= maxNameLength, c);
});
