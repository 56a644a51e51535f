/**
 * The AWS CLI v2 (Debian's awscli, /usr/bin/aws) reads a config that sso-sync wrote for many sso-sessions and
 * hundreds of profiles, hostile account and role names among them: `aws configure list-profiles` lists exactly the
 * person's profiles and the generated ones, botocore's own config loader reads every key of every profile, and
 * `aws configure get` returns each key of a sample. Run by `npm run test:aws-cli`; `.ci/run` installs awscli first.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { planSync } from '../../src/core/plan.js';
import type { Profile, SessionDef } from '../../src/core/types.js';
import { generateFixture, seededRandom, type Fixture } from '../../src/emulator/fixture.js';
import { parseSettings } from '../../src/settings/check-settings.js';
import { assignmentsOf } from '../core/hostile-input.js';
import { sandbox } from '../helpers/sandbox.js';
import { awsCli, fullConfig } from './cli-tools.js';

/** The sessions the person configured with `aws configure sso-session`: each its own start URL and region. */
const configSessions: SessionDef[] = [
  {
    name: 'acme',
    startUrl: 'https://d-1111111111.awsapps.com/start',
    region: 'eu-north-1',
    scopes: ['sso:account:access'],
  },
  {
    name: 'acme-eu',
    startUrl: 'https://d-2222222222.awsapps.com/start',
    region: 'eu-west-1',
    scopes: ['sso:account:access'],
  },
  {
    name: 'globex.prod',
    startUrl: 'https://globex.awsapps.com/start',
    region: 'us-east-1',
    scopes: ['sso:account:access'],
  },
  {
    name: 'initech_1',
    startUrl: 'https://d-4444444444.awsapps.com/start',
    region: 'ap-southeast-2',
    scopes: ['sso:account:access'],
  },
];

/** Two more, from the settings file only, with the naming rules every session shares. */
const settingsText = `sessions:
  umbrella:
    start_url: https://d-5555555555.awsapps.com/start
    region: us-west-2
  hostile:
    start_url: https://d-6666666666.awsapps.com/start
    region: eu-central-1
profiles:
  strip_prefix: [mycorp-]
  regions:
    - { match: "*prod-eu*", region: eu-west-3 }
  set: { output: json }
`;

/** An organisation whose account and role names try everything that could break a config file or a parser. */
function hostileFixture(): Fixture {
  const roles = [
    'AdministratorAccess',
    'ReadOnlyAccess',
    'a=b',
    'x@y,z+w',
    'Dev.Ops',
    'bad role',
    'evil]\n[x',
    'R'.repeat(64),
  ];
  const names = [
    'Prod', // its admin profile is prod-admin, which the person already has: theirs wins
    '[Prod] EU',
    'Prod = x',
    '#not a comment',
    ';not a comment either',
    'multi\nline',
    'carriage\rreturn',
    'Ünïcödé 日本 prod-eu',
    'x'.repeat(300),
    '   Padded   ',
    ']\n[profile evil]\ncredential_process = /bin/sh -c id',
    'Acme Prod',
    'acme-prod',
    'ACME  PROD ',
    'acme\tprod', // all sanitise to acme-prod
    'Same Name',
    'Same Name', // exact duplicates
    'default',
    '日本語',
    'mycorp-sandbox',
    'credential_process = rm -rf ~',
    'tab\there',
    "quote\"d 'name'",
    'back\\slash',
  ];
  return {
    accounts: names.map((accountName, i) => ({
      accountId: String(900000000000 + i * 7919),
      accountName,
      // Every account holds the admin role, plus a rotating few of the odd ones.
      roles: ['AdministratorAccess', ...roles.slice(1).filter((_, j) => (i + j) % 3 === 0)],
    })),
  };
}

/** Which organisation each session's token sees (synced one session at a time: the emulator serves one fixture). */
const organisations: [string, Fixture][] = [
  ['acme', generateFixture({ accounts: 40, rolesPerAccount: 3, seed: 101 })],
  ['acme-eu', generateFixture({ accounts: 30, rolesPerAccount: 4, seed: 102 })],
  ['globex.prod', generateFixture({ accounts: 25, rolesPerAccount: 2, seed: 103 })],
  ['initech_1', generateFixture({ accounts: 20, rolesPerAccount: 3, seed: 104 })],
  ['umbrella', generateFixture({ accounts: 15, rolesPerAccount: 5, seed: 105 })],
  ['hostile', hostileFixture()],
];

/** The person's own file: profiles of their own (one a generated profile wants too), the sessions, comments. */
const personText = [
  '# my own settings: kept byte for byte',
  '[default]',
  'region = eu-west-1',
  'output = text',
  '',
  '[profile hand-made]',
  'region = us-east-1',
  's3 =',
  '  max_concurrent_requests = 20',
  '',
  '; mine, and the hostile organisation generates the same name',
  '[profile prod-admin]',
  'region = sa-east-1',
  'role_arn = arn:aws:iam::123456789012:role/mine',
  '',
  '[profile "quoted name"]',
  'region = ca-central-1',
  '',
  '[services my-services]',
  'sso =',
  '  endpoint_url = https://example.invalid',
  '',
  ...configSessions.flatMap((s) => [
    `[sso-session ${s.name}]`,
    `sso_start_url = ${s.startUrl}`,
    `sso_region = ${s.region}`,
    `sso_registration_scopes = ${s.scopes.join(',')}`,
    '',
  ]),
].join('\n');

/** The person's profiles as botocore names them, with the keys `aws configure get` must return. */
const personProfiles: Record<string, Record<string, string>> = {
  default: { region: 'eu-west-1', output: 'text' },
  'hand-made': { region: 'us-east-1' },
  'prod-admin': { region: 'sa-east-1', role_arn: 'arn:aws:iam::123456789012:role/mine' },
  'quoted name': { region: 'ca-central-1' },
};

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

test('the AWS CLI reads exactly the profiles sso-sync wrote for six sso-sessions and hundreds of hostile names', async (t) => {
  const box = await sandbox({ fixture: organisations[0]![1] });
  t.after(() => box.close());
  box.writeConfig(personText);
  const settingsFile = `${box.home}/settings.yaml`;
  writeFileSync(settingsFile, settingsText);
  const settings = parseSettings(settingsText, settingsFile);
  const sessions = [...configSessions, ...settings.sessions];
  for (const s of sessions) box.signIn(s.name, { startUrl: s.startUrl });

  // Each session's organisation, synced by the real CLI; the planner, fed the same organisations in the same
  // order, says what the file must hold.
  let expectedText: string = Buffer.from(personText, 'utf8').toString('latin1');
  const generated = new Map<string, Profile>();
  const skippedTaken: string[] = [];
  for (const [name, fixture] of organisations) {
    box.emulator.setFixture(fixture);
    const sync = await box.run(['--once', '--session', name, '--settings', settingsFile]);
    assert.equal(sync.code, 0, `sso-sync --once --session ${name}: ${sync.stderr}`);

    const session = sessions.find((s) => s.name === name)!;
    const plan = planSync({
      text: expectedText,
      fetched: [{ session, assignments: assignmentsOf(fixture, name) }],
      configuredSessions: sessions.map((s) => s.name),
      rules: settings.rules,
      guard: { maxRemovalShare: settings.sync.maxRemovalShare, allowMassRemoval: false },
    });
    assert.ok(plan.ok);
    expectedText = plan.text;
    for (const o of plan.outcomes) {
      assert.deepEqual([o.removed, o.changed, o.held], [[], [], undefined], `a first sync of ${name} only adds`);
      for (const p of o.added) generated.set(p.name, p);
      skippedTaken.push(...o.skipped.filter((k) => k.reason === 'name-taken').map((k) => k.name!));
    }
  }
  const written = readFileSync(box.configFile, 'latin1');
  assert.equal(written, expectedText, 'the file is exactly what the planner makes of the six organisations');
  assert.ok(generated.size >= 300, `hundreds of profiles, got ${generated.size}`);
  assert.ok(skippedTaken.includes('prod-admin'), "the person's [profile prod-admin] won over the generated one");
  const hostile = [...generated.values()].filter((p) => p.session === 'hostile');
  assert.ok(hostile.length >= 30, `the hostile organisation has its profiles, got ${hostile.length}`);

  const expectedProfiles = [...Object.keys(personProfiles), ...generated.keys()].sort();

  // 1. list-profiles: exactly the person's profiles and the generated ones, each once.
  const listed = (await awsCli(box, ['configure', 'list-profiles'])).split('\n').filter(Boolean);
  assert.equal(new Set(listed).size, listed.length, 'no profile is listed twice');
  assert.deepEqual([...listed].sort(), expectedProfiles);

  // 2. Every key of every profile and sso-session, through the CLI's own config loader, in one process.
  const loaded = await fullConfig(box);
  assert.deepEqual(Object.keys(loaded.profiles).sort(), expectedProfiles);
  for (const p of generated.values()) assert.deepEqual(loaded.profiles[p.name], Object.fromEntries(p.keys), p.name);
  for (const [name, keys] of Object.entries(personProfiles)) {
    for (const [key, value] of Object.entries(keys))
      assert.equal(loaded.profiles[name]?.[key], value, `${name}.${key}`);
  }
  assert.deepEqual(loaded.profiles['hand-made']?.s3, { max_concurrent_requests: '20' });
  assert.deepEqual(
    Object.fromEntries(
      Object.entries(loaded.sso_sessions).map(([n, s]) => [
        n,
        [s.sso_start_url, s.sso_region, s.sso_registration_scopes],
      ]),
    ),
    Object.fromEntries(sessions.map((s) => [s.name, [s.startUrl, s.region, s.scopes.join(',')]])),
  );

  // 3. `aws configure get` for every key of a sample (about half a second each): the person's profiles, the
  //    hostile organisation's, names suffixed after a collision, and a random rest.
  const seed = Date.now() >>> 0;
  const random = seededRandom(seed); // a failing sample can be drawn again from the seed in the message
  const pick = <T>(items: readonly T[], n: number): T[] => {
    const pool = [...items];
    const out: T[] = [];
    while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
    return out;
  };
  const all = [...generated.values()];
  const suffixed = all.filter((p) => /-\d{12}$/.test(p.name));
  assert.ok(suffixed.length > 0, 'some names collided and were suffixed');
  const sample = new Map<string, Profile>();
  for (const p of [...pick(hostile, 6), ...pick(suffixed, 3), ...pick(all, all.length)]) {
    if (sample.size === 20) break;
    sample.set(p.name, p);
  }
  const checks: { profile: string; key: string; value: string }[] = [
    ...Object.entries(personProfiles).flatMap(([profile, keys]) =>
      Object.entries(keys).map(([key, value]) => ({ profile, key, value })),
    ),
    ...[...sample.values()].flatMap((p) => p.keys.map(([key, value]) => ({ profile: p.name, key, value }))),
  ];
  const wrong: string[] = [];
  await eachLimited(checks, 4, async ({ profile, key, value }) => {
    const got = await awsCli(box, ['configure', 'get', key, '--profile', profile]).then(
      (stdout) => stdout.replace(/\r?\n$/, ''),
      (error: unknown) => {
        const e = error as { code?: number; stderr?: string };
        return `(exit ${String(e.code)}: ${e.stderr?.trim() ?? ''})`;
      },
    );
    if (got !== value) wrong.push(`${profile}.${key}: got ${JSON.stringify(got)}, expected ${JSON.stringify(value)}`);
  });
  assert.deepEqual(wrong, [], `sample seed ${seed}, ${checks.length} keys`);
});
