/**
 * Role-chain profiles: names unique among everything generated and never one a person's section has, each built on
 * a profile of the same block; read by the JS SDK with exactly the keys planned; and settings that check every
 * template when they load.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ChainRule } from '../../src/core/chains.js';
import { scanConfig } from '../../src/core/config-text.js';
import { planSync } from '../../src/core/plan.js';
import { defaultRules } from '../../src/core/profile-names.js';
import { parseSettings } from '../../src/settings/check-settings.js';
import { tempDir } from '../helpers/temp-dir.js';
import { accountName, readWithSdk, roleName } from './hostile-input.js';

const session = {
  name: 'mycorp',
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'eu-north-1',
  scopes: ['sso:account:access'],
};

const chain = (name: string, roles: string[] = []): ChainRule => ({
  name,
  roleArn: 'arn:aws:iam::{account_id}:role/Deployer',
  accounts: [],
  roles,
  roleSessionName: undefined,
  durationSeconds: undefined,
  externalId: undefined,
});

const assignment = fc.record({
  accountId: fc.integer({ min: 100000000000, max: 100000000009 }).map(String),
  accountName,
  roleName,
});

test('property: chain names are unique, never a name a section outside the blocks has, and built on a profile of the block', () => {
  fc.assert(
    fc.property(
      fc.array(assignment, { maxLength: 10 }),
      fc.subarray([chain('{profile}-x'), chain('{profile}'), chain('{profile}-x'), chain('a{account_id}{profile}')]),
      fc.constantFrom('', '[profile prod-admin-x]\nregion = x\n', '[profile prod-x]\n'),
      (list, chains, mine) => {
        const plan = planSync({
          text: mine,
          fetched: [{ session, assignments: list.map((a) => ({ session: 'mycorp', ...a })) }],
          configuredSessions: ['mycorp'],
          rules: defaultRules,
          chains,
          guard: { maxRemovalShare: 0.5, allowMassRemoval: true },
        });
        assert.ok(plan.ok);
        const scan = scanConfig(plan.text);
        const outside = new Set(scan.outside.map((s) => s.name));
        const inBlock = scan.blocks.flatMap((b) => b.sections).filter((s) => s.kind === 'profile');
        const names = inBlock.map((s) => s.name);
        assert.equal(new Set(names).size, names.length, 'every name once');
        for (const s of inBlock) {
          assert.ok(!outside.has(s.name), `${s.name} is a name the person's own section has`);
          const source = s.values.get('source_profile');
          if (source === undefined) continue;
          assert.ok(names.includes(source), `${s.name} is built on ${source}, which is in the block`);
          assert.ok(/^arn:aws:iam::\d{12}:role\/Deployer$/.test(s.values.get('role_arn') ?? ''));
        }
        // Planning again on the result changes nothing.
        const again = planSync({
          text: plan.text,
          fetched: [{ session, assignments: list.map((a) => ({ session: 'mycorp', ...a })) }],
          configuredSessions: ['mycorp'],
          rules: defaultRules,
          chains,
          guard: { maxRemovalShare: 0.5, allowMassRemoval: true },
        });
        assert.ok(again.ok && !again.changed);
      },
    ),
    { numRuns: 200 },
  );
});

test('the JS SDK reads a chain profile with exactly the keys planned', async (t) => {
  const dir = tempDir(t, 'sso-sync-chains-');
  const plan = planSync({
    text: undefined,
    fetched: [
      {
        session,
        assignments: [{ session: 'mycorp', accountId: '111111111111', accountName: 'Prod', roleName: 'Admin' }],
      },
    ],
    configuredSessions: ['mycorp'],
    rules: defaultRules,
    chains: [{ ...chain('{profile}-deploy'), roleSessionName: 'me', durationSeconds: 3600, externalId: 'x-1' }],
    guard: { maxRemovalShare: 0.5, allowMassRemoval: false },
  });
  assert.ok(plan.ok);
  const file = path.join(dir, 'config');
  writeFileSync(file, plan.text);
  assert.deepEqual((await readWithSdk(file))['prod-Admin-deploy'], {
    source_profile: 'prod-Admin',
    role_arn: 'arn:aws:iam::111111111111:role/Deployer',
    role_session_name: 'me',
    duration_seconds: '3600',
    external_id: 'x-1',
    region: 'eu-north-1',
  });
});

const refused = (text: string): string => {
  try {
    parseSettings(text, '/s.yaml');
  } catch (error) {
    return (error as Error).message;
  }
  return assert.fail('expected the settings to be refused');
};

test('settings: chains are checked when they load, each problem naming its key', () => {
  const ok = parseSettings(
    'chains:\n  - name: "{profile}-deployer"\n    role_arn: "arn:aws:iam::{account_id}:role/Deployer"\n' +
      '    roles: [AdministratorAccess]\n    duration_seconds: 3600\n',
    '/s.yaml',
  );
  assert.deepEqual(ok.chains, [
    {
      name: '{profile}-deployer',
      roleArn: 'arn:aws:iam::{account_id}:role/Deployer',
      accounts: [],
      roles: ['AdministratorAccess'],
      roleSessionName: undefined,
      durationSeconds: 3600,
      externalId: undefined,
    },
  ]);
  assert.deepEqual(parseSettings('', '/s.yaml').chains, []);
  const arn = 'role_arn: "arn:aws:iam::{account_id}:role/D"';
  assert.match(
    refused(`chains:\n  - name: deployer\n    ${arn}\n`),
    /chains\[0\]\.name: the name must contain \{profile\}/,
  );
  assert.match(
    refused(`chains:\n  - name: "{profile}-{acount}"\n    ${arn}\n`),
    /chains\[0\]\.name: unknown placeholder \{acount\}/,
  );
  assert.match(
    refused('chains:\n  - name: "{profile}-d"\n    role_arn: "arn:aws:iam::{account}:role/D"\n'),
    /chains\[0\]\.role_arn: unknown placeholder \{account\}; use \{account_id\}, \{role_name\}, \{session\}/,
  );
  assert.match(
    refused('chains:\n  - name: "{profile}-d"\n    role_arn: "Deployer"\n'),
    /chains\[0\]\.role_arn: expected an IAM role ARN such as "arn:aws:iam::\{account_id\}:role\/Deployer"/,
  );
  assert.match(
    refused(`chains:\n  - name: "{profile}-d"\n    ${arn}\n    duration_seconds: 60\n`),
    /chains\[0\]\.duration_seconds: /,
  );
  assert.match(refused(`chains:\n  - name: "{profile}-d"\n    ${arn}\n    via: x\n`), /chains\[0\]: unknown key via/);
});

test('a rename by settings takes the chain profiles along as renames; dropping chains is not a mass removal', () => {
  const assignments = ['111111111111', '222222222222'].map((accountId, i) => ({
    session: 'mycorp',
    accountId,
    accountName: `Team ${i}`,
    roleName: 'AdministratorAccess',
  }));
  const plan = (text: string, name: string, chains: ChainRule[]) => {
    const result = planSync({
      text,
      fetched: [{ session, assignments }],
      configuredSessions: ['mycorp'],
      rules: { ...defaultRules, name },
      chains,
      guard: { maxRemovalShare: 0.2, allowMassRemoval: false },
    });
    assert.ok(result.ok);
    return result;
  };
  const first = plan('', '{account}-{role}', [chain('{profile}-deploy'), chain('{profile}-ops')]);
  assert.equal(first.outcomes[0]?.profileCount, 6);

  // New names for every profile: the SSO profiles and the chain profiles built on them are all renamed.
  const renamed = plan(first.text, 'x-{account}-{role}', [chain('{profile}-deploy'), chain('{profile}-ops')]);
  const outcome = renamed.outcomes[0]!;
  assert.equal(outcome.held, undefined);
  assert.deepEqual([outcome.added, outcome.removed], [[], []]);
  assert.deepEqual(outcome.renamed.map((r) => `${r.from} -> ${r.to}`).sort(), [
    'team-0-admin -> x-team-0-admin',
    'team-0-admin-deploy -> x-team-0-admin-deploy',
    'team-0-admin-ops -> x-team-0-admin-ops',
    'team-1-admin -> x-team-1-admin',
    'team-1-admin-deploy -> x-team-1-admin-deploy',
    'team-1-admin-ops -> x-team-1-admin-ops',
  ]);

  // The chains setting removed: four of six profiles go, which the guard does not hold (every role is still there).
  const dropped = plan(renamed.text, 'x-{account}-{role}', []);
  assert.equal(dropped.outcomes[0]?.held, undefined);
  assert.equal(dropped.outcomes[0]?.removed.length, 4);

  // The portal losing an account still holds: its profile and the chains on it count as removed.
  const lost = planSync({
    text: renamed.text,
    fetched: [{ session, assignments: assignments.slice(0, 1) }],
    configuredSessions: ['mycorp'],
    rules: { ...defaultRules, name: 'x-{account}-{role}' },
    chains: [chain('{profile}-deploy'), chain('{profile}-ops')],
    guard: { maxRemovalShare: 0.2, allowMassRemoval: false },
  });
  assert.ok(lost.ok);
  assert.deepEqual(lost.outcomes[0]?.held, { wouldRemove: 3, of: 6, maxRemovalShare: 0.2 });
});

test('a new account whose profile would take the name of a chain profile gets a suffix; the chain profile keeps its name', () => {
  const dev = { session: 'mycorp', accountId: '222222222222', accountName: 'dev', roleName: 'AdministratorAccess' };
  const chains = [chain('{profile}-deployer')];
  const plan = (text: string, assignments: (typeof dev)[]) => {
    const result = planSync({
      text,
      fetched: [{ session, assignments }],
      configuredSessions: ['mycorp'],
      rules: defaultRules,
      chains,
      guard: { maxRemovalShare: 0.5, allowMassRemoval: false },
    });
    assert.ok(result.ok);
    return result;
  };
  const first = plan('', [dev]);
  const sections = (text: string) =>
    new Map(
      scanConfig(text)
        .blocks.flatMap((b) => b.sections)
        .map((s) => [s.name, Object.fromEntries(s.values)]),
    );
  assert.equal(sections(first.text).get('dev-admin-deployer')?.role_arn, 'arn:aws:iam::222222222222:role/Deployer');

  // An account named like the chain profile appears.
  const newcomer = { ...dev, accountId: '333333333333', accountName: 'dev-admin-deployer', roleName: 'ReadOnlyAccess' };
  const next = plan(first.text, [dev, newcomer]);
  const after = sections(next.text);
  assert.equal(after.get('dev-admin-deployer')?.role_arn, 'arn:aws:iam::222222222222:role/Deployer');
  assert.equal(after.get('dev-admin-deployer-333333333333')?.sso_account_id, '333333333333');
  const outcome = next.outcomes[0]!;
  assert.deepEqual(outcome.changed, []);
  assert.deepEqual(outcome.removed, []);
  // (The chain applies to the newcomer's role too.)
  assert.deepEqual(
    outcome.added.map((p) => p.name),
    ['dev-admin-deployer-333333333333', 'dev-admin-deployer-333333333333-deployer'],
  );
  // And it stays so.
  assert.equal(plan(next.text, [dev, newcomer]).changed, false);
});

test('a name that passes from a chain profile to another profile is a removal and an addition, not a change', () => {
  const dev = { session: 'mycorp', accountId: '222222222222', accountName: 'dev', roleName: 'AdministratorAccess' };
  const base = {
    fetched: [{ session, assignments: [dev] }],
    configuredSessions: ['mycorp'],
    rules: defaultRules,
    guard: { maxRemovalShare: 0.5, allowMassRemoval: true },
  };
  const first = planSync({ ...base, text: '', chains: [chain('{profile}-x')] });
  assert.ok(first.ok);
  const other = { ...chain('{profile}-x'), roleArn: 'arn:aws:iam::{account_id}:role/Other' };
  const next = planSync({ ...base, text: first.text, chains: [other] });
  assert.ok(next.ok);
  const outcome = next.outcomes[0]!;
  assert.deepEqual(outcome.changed, []);
  assert.deepEqual(
    [outcome.added.map((p) => p.name), outcome.removed.map((r) => r.name)],
    [['dev-admin-x'], ['dev-admin-x']],
  );
});
