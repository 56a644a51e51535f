/** Settings: defaults, validation that names file and key, every problem reported together. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseSettings } from '../../src/settings/check-settings.js';
import { loadSettings } from '../../src/settings/load.js';
import { tempDir } from '../helpers/temp-dir.js';
import { settingsProblems } from '../helpers/settings-problems.js';
import { settingsPath } from '../../src/paths.js';

const problems = settingsProblems;

test('an empty file gives the defaults that reproduce the seed naming', () => {
  const s = parseSettings('', '/s.yaml');
  assert.equal(s.rules.name, '{account}-{role}');
  assert.deepEqual(s.rules.roleAlias, { AdministratorAccess: 'admin', ReadOnlyAccess: '' });
  assert.deepEqual(s.sync, {
    concurrency: 8,
    maxRemovalShare: 0.5,
    allowMassRemoval: false,
    requestTimeoutMs: 30_000,
    rolesMaxAgeMs: 6 * 3600_000,
  });
  assert.equal(s.schedule, '*/30 * * * *');
  assert.equal(s.scheduleWritten, false, 'the default schedule, spread per installation');
  assert.equal(s.splayMs, 0);
  assert.deepEqual(s.sessions, []);
});

test('the illustrative settings of the design load as written', () => {
  const s = parseSettings(
    `schedule: "*/30 * * * *"
sessions:
  mycorp:
    start_url: https://d-1234567890.awsapps.com/start
    region: eu-north-1
    scopes: [sso:account:access]
profiles:
  name: "{account}-{role}"
  strip_prefix: [mycorp-]
  role_alias: { AdministratorAccess: admin, ReadOnlyAccess: "" , Billing: bill }
  exclude_roles: []
  exclude_accounts: ["*sandbox*"]
  regions:
    - { match: "*-eu", region: eu-west-3 }
    - { match: "*-us", region: us-west-2 }
  default_region: eu-west-1
  set: { duration_seconds: 43200, output: json }
`,
    '/s.yaml',
  );
  assert.deepEqual(s.sessions, [
    {
      name: 'mycorp',
      startUrl: 'https://d-1234567890.awsapps.com/start',
      region: 'eu-north-1',
      scopes: ['sso:account:access'],
    },
  ]);
  assert.deepEqual(s.rules.set, { duration_seconds: '43200', output: 'json' });
  assert.equal(s.rules.roleAlias.Billing, 'bill');
  assert.equal(s.rules.roleAlias.AdministratorAccess, 'admin');
  assert.equal(s.rules.regions.length, 2);
});

test('every problem is reported at once, each with its key', () => {
  const found = problems(`sessions:
  "my corp":
    start_url: https://x.awsapps.com/start
    region: eu-north-1
  ok:
    start_url: http://insecure.example/start
    region: north
profiles:
  name: "{acount}-{role}"
  set: { region: eu-west-1, "Output": json, output: "two\\nlines" }
  regions: [{ match: "*", region: eu-west-1, extra: 1 }]
sync: { concurrency: 0, max_removal_share: 2, request_timeout_seconds: 0 }
typo: 1
`);
  const expect = [
    'sessions.my corp: invalid key',
    'sessions.ok.start_url:',
    'sessions.ok.region: expected an AWS region',
    'profiles.name: unknown placeholder {acount}',
    'profiles.set.region: invalid key: this key is computed by sso-sync',
    'profiles.set.Output: invalid key',
    'profiles.set.output: expected one line',
    'profiles.regions[0]: unknown key extra',
    'sync.concurrency:',
    'sync.max_removal_share:',
    'sync.request_timeout_seconds:',
    '(top level): unknown key typo',
  ];
  for (const e of expect)
    assert.ok(
      found.some((l) => l.includes(e)),
      `missing "${e}" in:\n${found.join('\n')}`,
    );
});

test('YAML syntax errors name the line', () => {
  assert.deepEqual(
    problems('sessions:\n  a: 1\n  a: 2\n').map((l) => l.split(': ')[0]),
    ['/s.yaml:3'],
  );
});

test('where the settings are looked for, and zero configuration when the default file is absent', async (t) => {
  const home = tempDir(t, 'sso-sync-settings-');
  assert.equal(settingsPath(undefined, { HOME: home }).file, path.join(home, '.config', 'sso-sync', 'settings.yaml'));
  assert.equal(settingsPath(undefined, { HOME: home, XDG_CONFIG_HOME: '/x' }).file, '/x/sso-sync/settings.yaml');
  assert.equal(settingsPath(undefined, { HOME: home, SSO_SYNC_SETTINGS: '/e.yaml' }).file, '/e.yaml');
  assert.equal(settingsPath('/flag.yaml', { HOME: home, SSO_SYNC_SETTINGS: '/e.yaml' }).file, '/flag.yaml');
  assert.equal((await loadSettings(undefined, { HOME: home })).source, undefined);
  await assert.rejects(
    loadSettings(path.join(home, 'none.yaml'), { HOME: home }),
    /cannot read the settings file .*none\.yaml: it does not exist/,
  );
  await assert.rejects(loadSettings(home, { HOME: home }), /it is a directory/);
  writeFileSync(path.join(home, 'ok.yaml'), 'sync: { concurrency: 3 }\n');
  assert.equal(
    (await loadSettings(undefined, { HOME: home, SSO_SYNC_SETTINGS: path.join(home, 'ok.yaml') })).sync.concurrency,
    3,
  );
});

test('a settings file that is a named pipe is refused at once, never read (a read would wait for ever)', async (t) => {
  const dir = tempDir(t, 'sso-sync-settings-');
  const fifo = path.join(dir, 'settings.yaml');
  execFileSync('mkfifo', [fifo]);
  const started = Date.now();
  await assert.rejects(loadSettings(fifo, {}), (e: Error & { exitCode?: number }) => {
    assert.match(e.message, new RegExp(`cannot read the settings file ${fifo}: it is a named pipe, not a file`));
    assert.equal(e.exitCode, 2);
    return true;
  });
  assert.ok(Date.now() - started < 5_000);
});

test('roles_max_age and splay take durations; a bare number other than 0, or too long a one, is refused', () => {
  const s = parseSettings('schedule: "0 9 * * 1-5"\nsplay: 10m\nsync: { roles_max_age: 1h30m }\n', '/s.yaml');
  assert.equal(s.sync.rolesMaxAgeMs, 90 * 60_000);
  assert.equal(s.splayMs, 10 * 60_000);
  assert.equal(s.scheduleWritten, true);
  assert.equal(parseSettings('sync: { roles_max_age: 0 }\n', '/s.yaml').sync.rolesMaxAgeMs, 0);
  assert.equal(parseSettings('sync: { roles_max_age: "2d" }\nsplay: 45s\n', '/s.yaml').splayMs, 45_000);
  assert.deepEqual(problems('sync: { roles_max_age: 6 }\nsplay: soon\n'), [
    '/s.yaml: sync.roles_max_age: expected a duration such as 6h, 30m, 90s, 1h30m or 0',
    '/s.yaml: splay: expected a duration such as 6h, 30m, 90s, 1h30m or 0',
  ]);
  assert.deepEqual(problems('sync: { roles_max_age: 31d }\nsplay: 25h\n'), [
    '/s.yaml: sync.roles_max_age: at most 30d',
    '/s.yaml: splay: at most 1d',
  ]);
});

test('settings mistakes get hints: the key meant, quotes for a {placeholder} template, a region that does not exist', async () => {
  const problems = (text: string) => {
    try {
      parseSettings(text, '/s.yaml');
    } catch (error) {
      return (error as Error).message;
    }
    return assert.fail('accepted');
  };
  assert.match(problems('profiles:\n  nmae: x\n'), /\/s\.yaml: profiles: unknown key nmae \(did you mean name\?\)/);
  assert.match(problems('sync:\n  concurency: 4\n'), /sync: unknown key concurency \(did you mean concurrency\?\)/);
  assert.match(problems('shedule: "* * * * *"\n'), /unknown key shedule \(did you mean schedule\?\)/);
  assert.match(
    problems('profiles:\n  regions: [{ match: "*", regoin: eu-west-1 }]\n'),
    /regoin \(did you mean region\?\)/,
  );
  assert.doesNotMatch(problems('zzzzzz: 1\n'), /did you mean/);
  // Unquoted, YAML reads the template as a mapping (or cannot read it): the hint says to quote it.
  assert.match(
    problems('profiles:\n  name: {account}-{role}\n'),
    /\/s\.yaml:2: name: a value that starts with \{ must be quoted in YAML \(name: "\{account\}-\{role\}"\)/,
  );
  assert.match(problems('profiles:\n  name: {account}\n'), /must be quoted in YAML/);
  // A region that looks right but is not one is used as given, with a notice each run logs.
  const settings = parseSettings(
    'profiles:\n  default_region: eu-west-9\n  regions: [{ match: "*-us", region: us-east-1 }]\n',
    '/s.yaml',
  );
  assert.deepEqual(settings.notices, [
    'profiles.default_region: eu-west-9 is not a region sso-sync knows; it is used as given, but check the spelling ' +
      '(a profile with a region that does not exist fails in every tool that uses it)',
  ]);
  assert.equal(settings.rules.defaultRegion, 'eu-west-9');
});
