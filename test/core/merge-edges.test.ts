/** planSync at the edges the golden cases do not spell out: the guard's limits, held hand edits, odd last lines. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planSync, type Plan, type PlanInput } from '../../src/core/plan.js';
import { defaultRules } from '../../src/core/profile-names.js';
import type { Assignment, SessionDef } from '../../src/core/types.js';

const mycorp: SessionDef = {
  name: 'mycorp',
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'eu-north-1',
  scopes: ['sso:account:access'],
};
const other: SessionDef = { ...mycorp, name: 'other' };

function roles(session: string, accountId: string, accountName: string, ...names: string[]): Assignment[] {
  return names.map((roleName) => ({ session, accountId, accountName, roleName }));
}

const four = [
  ...roles('mycorp', '111111111111', 'Prod', 'AdministratorAccess', 'ReadOnlyAccess'),
  ...roles('mycorp', '222222222222', 'Dev', 'AdministratorAccess', 'ReadOnlyAccess'),
];

function input(
  text: string | undefined,
  fetched: [SessionDef, Assignment[]][],
  guard: Partial<PlanInput['guard']> = {},
): PlanInput {
  return {
    text,
    fetched: fetched.map(([session, assignments]) => ({ session, assignments })),
    configuredSessions: ['mycorp', 'other'],
    rules: defaultRules,
    guard: { maxRemovalShare: 0.5, allowMassRemoval: false, ...guard },
  };
}

function ok(plan: Plan): Extract<Plan, { ok: true }> {
  if (!plan.ok) assert.fail(`refused: ${JSON.stringify(plan.damage)}`);
  return plan;
}

const withFour = ok(planSync(input('[default]\nregion = eu-west-1\n', [[mycorp, four]]))).text;

test('a first sync with no assignments is not held: the block holds the [sso-session] alone', () => {
  const plan = ok(planSync(input(undefined, [[mycorp, []]])));
  assert.equal(plan.outcomes[0]!.held, undefined);
  assert.match(plan.text, /^# BEGIN sso-sync mycorp .*\n\[sso-session mycorp\]\n(?:.*\n){3}# END sso-sync mycorp\n$/);
});

test('a share of 0 holds any removal; a share of 1 holds only the removal of everything', () => {
  const one = roles('mycorp', '111111111111', 'Prod', 'AdministratorAccess', 'ReadOnlyAccess').concat(
    roles('mycorp', '222222222222', 'Dev', 'AdministratorAccess'),
  );
  const strict = ok(planSync(input(withFour, [[mycorp, one]], { maxRemovalShare: 0 })));
  assert.deepEqual(strict.outcomes[0]!.held, { wouldRemove: 1, of: 4, maxRemovalShare: 0 });
  assert.equal(strict.changed, false);
  const loose = ok(
    planSync(
      input(withFour, [[mycorp, roles('mycorp', '111111111111', 'Prod', 'ReadOnlyAccess')]], { maxRemovalShare: 1 }),
    ),
  );
  assert.equal(loose.outcomes[0]!.held, undefined);
  assert.deepEqual(
    loose.outcomes[0]!.removed.map((r) => r.name),
    ['dev', 'dev-admin', 'prod-admin'],
  );
  const empty = ok(planSync(input(withFour, [[mycorp, []]], { maxRemovalShare: 1 })));
  assert.deepEqual(
    empty.outcomes[0]!.held,
    { wouldRemove: 4, of: 4, maxRemovalShare: 1 },
    'an empty answer is held whatever the share',
  );
});

test('names that stay while every account id changes are a full replacement: the guard holds it', () => {
  // The same account names and roles, every account id different: each profile would point at another account.
  const moved = [
    ...roles('mycorp', '333333333333', 'Prod', 'AdministratorAccess', 'ReadOnlyAccess'),
    ...roles('mycorp', '444444444444', 'Dev', 'AdministratorAccess', 'ReadOnlyAccess'),
  ];
  const plan = ok(planSync(input(withFour, [[mycorp, moved]])));
  assert.deepEqual(plan.outcomes[0]!.held, { wouldRemove: 4, of: 4, maxRemovalShare: 0.5 });
  assert.equal(plan.changed, false, 'nothing is written');
  // Allowed, it is logged as what it is: four profiles removed and four added, none merely changed.
  const allowed = ok(planSync(input(withFour, [[mycorp, moved]], { allowMassRemoval: true })));
  const o = allowed.outcomes[0]!;
  assert.equal(o.held, undefined);
  assert.deepEqual(o.removed.map((r) => `${r.name} ${r.accountId ?? ''}`).sort(), [
    'dev 222222222222',
    'dev-admin 222222222222',
    'prod 111111111111',
    'prod-admin 111111111111',
  ]);
  assert.deepEqual(o.added.map((p) => `${p.name} ${p.accountId}`).sort(), [
    'dev 444444444444',
    'dev-admin 444444444444',
    'prod 333333333333',
    'prod-admin 333333333333',
  ]);
  assert.deepEqual(o.changed, []);
  // One account of two moved is half the profiles: not above the share, so applied, and logged as what it is.
  const one = [...four.slice(0, 2), ...roles('mycorp', '555555555555', 'Dev', 'AdministratorAccess', 'ReadOnlyAccess')];
  const partial = ok(planSync(input(withFour, [[mycorp, one]], { maxRemovalShare: 0.5 }))).outcomes[0]!;
  assert.equal(partial.held, undefined);
  assert.deepEqual(partial.removed.map((r) => r.name).sort(), ['dev', 'dev-admin']);
  assert.deepEqual(partial.added.map((p) => p.name).sort(), ['dev', 'dev-admin']);
});

test('a held block keeps its hand edits; the other session is still updated', () => {
  const both = ok(
    planSync(
      input(withFour, [
        [mycorp, four],
        [other, roles('other', '333333333333', 'Shared', 'ReadOnlyAccess')],
      ]),
    ),
  ).text;
  const edited = both.replace('[profile prod]\n', '[profile prod]\n# keep me\n');
  const plan = ok(
    planSync(
      input(edited, [
        [mycorp, []],
        [other, roles('other', '333333333333', 'Shared', 'ReadOnlyAccess', 'AdministratorAccess')],
      ]),
    ),
  );
  const [m, o] = plan.outcomes;
  assert.equal(m!.session, 'mycorp');
  assert.ok(m!.held);
  assert.equal(m!.handEdited, undefined, 'nothing of the held block is replaced, so nothing is reported replaced');
  assert.ok(plan.text.includes('[profile prod]\n# keep me\n'));
  assert.deepEqual(
    o!.added.map((p) => p.name),
    ['shared-admin'],
  );
  assert.equal(plan.changed, true);
});

test('a block of a session no longer configured keeps its profile names', () => {
  const orphan = ok(
    planSync(input(undefined, [[other, roles('other', '333333333333', 'Prod', 'AdministratorAccess')]])),
  ).text;
  const plan = ok(
    planSync({
      ...input(orphan, [[mycorp, roles('mycorp', '111111111111', 'Prod', 'AdministratorAccess')]]),
      configuredSessions: ['mycorp'],
    }),
  );
  assert.deepEqual(plan.orphanBlocks, ['other']);
  assert.deepEqual(
    plan.outcomes[0]!.skipped.map((s) => [s.reason, s.name]),
    [['name-taken', 'prod-admin']],
  );
  assert.ok(plan.text.startsWith(orphan));
});

test('a file that is only a byte-order mark keeps it, and the block follows it', () => {
  const plan = ok(planSync(input('\xEF\xBB\xBF', [[mycorp, four]])));
  assert.ok(plan.text.startsWith('\xEF\xBB\xBF# BEGIN sso-sync mycorp '));
});

test('planning twice changes nothing when the file is one line ending in a lone CR', () => {
  // The appended block turns the CR into a CRLF line ending, which then makes the file "a CRLF file".
  const rewritten = ['\r', '[default]\r', 'region = x\r'].filter((text) => {
    const first = ok(planSync(input(text, [[mycorp, four]])));
    return ok(planSync(input(first.text, [[mycorp, four]]))).changed;
  });
  assert.deepEqual(rewritten, [], 'files the second sync rewrites although nothing changed');
});
