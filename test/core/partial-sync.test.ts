/** Syncs of only some sessions, and renames by new rules: names stay put, nothing is held for a rename. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planSync, type PlanInput, type SessionFetch } from '../../src/core/plan.js';
import { defaultRules } from '../../src/core/profile-names.js';
import { profileNames } from '../helpers/sandbox.js';

const session = (name: string) => ({
  name,
  startUrl: `https://${name}.awsapps.com/start`,
  region: 'eu-north-1',
  scopes: ['sso:account:access'],
});
const fetchA: SessionFetch = {
  session: session('a'),
  assignments: [
    { session: 'a', accountId: '111111111111', accountName: 'Prod', roleName: 'AdministratorAccess' },
    { session: 'a', accountId: '333333333333', accountName: 'Dev', roleName: 'AdministratorAccess' },
  ],
};
const fetchB: SessionFetch = {
  session: session('b'),
  assignments: [{ session: 'b', accountId: '222222222222', accountName: 'Prod', roleName: 'AdministratorAccess' }],
};

function plan(text: string | undefined, fetched: SessionFetch[], rules = defaultRules) {
  const input: PlanInput = {
    text,
    fetched,
    configuredSessions: ['a', 'b'],
    rules,
    guard: { maxRemovalShare: 0.5, allowMassRemoval: false },
  };
  const p = planSync(input);
  assert.ok(p.ok);
  return p;
}

test('a sync of one session (the other filtered out or failing) keeps the collision suffixes a full sync gave', () => {
  const full = plan(undefined, [fetchA, fetchB]);
  assert.deepEqual(profileNames(full.text).sort(), ['dev-admin', 'prod-admin-111111111111', 'prod-admin-222222222222']);
  for (const only of [[fetchA], [fetchB], [fetchA, fetchB]]) {
    const partial = plan(full.text, only);
    assert.equal(partial.changed, false, `syncing ${only.map((f) => f.session.name).join(',')} changes nothing`);
    for (const o of partial.outcomes)
      assert.deepEqual([o.held, o.skipped, o.added, o.removed], [undefined, [], [], []]);
  }
});

test('a new collision still suffixes a name a sync gave earlier; a change of rules still renames', () => {
  const aAlone = plan(undefined, [fetchA]);
  assert.ok(profileNames(aAlone.text).includes('prod-admin'));
  const both = plan(aAlone.text, [fetchA, fetchB]);
  assert.deepEqual(profileNames(both.text).sort(), ['dev-admin', 'prod-admin-111111111111', 'prod-admin-222222222222']);
  const renamed = plan(both.text, [fetchA, fetchB], { ...defaultRules, name: '{session}-{account}-{role}' });
  assert.deepEqual(profileNames(renamed.text).sort(), ['a-dev-admin', 'a-prod-admin', 'b-prod-admin']);
});

test('renaming every profile through the rules is not a mass removal: nothing is held, each is a rename', () => {
  const before = plan(undefined, [fetchA]);
  const after = plan(before.text, [fetchA], { ...defaultRules, name: '{account_id}-{role}' });
  const o = after.outcomes[0]!;
  assert.equal(o.held, undefined);
  assert.deepEqual([o.added, o.removed, o.changed], [[], [], []]);
  assert.deepEqual(
    o.renamed.map((r) => [r.from, r.to, r.keys]),
    [
      ['prod-admin', '111111111111-admin', []],
      ['dev-admin', '333333333333-admin', []],
    ],
  );
  assert.deepEqual(profileNames(after.text).sort(), ['111111111111-admin', '333333333333-admin']);
});
