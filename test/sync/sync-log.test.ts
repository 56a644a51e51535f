/** What a person reads in a sync's log: each change, each skipped assignment, a held update, a summary, warnings. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionOutcome } from '../../src/core/plan.js';
import { masked } from '../../src/core/secrets.js';
import {
  logOutcome,
  skipMessage,
  warnHandEdits,
  warnUnmatchedOverrides,
  warnUnreadable,
} from '../../src/sync/sync-log.js';
import { capturedLog, levels } from './captured-log.js';

const prod = { session: 'corp', accountId: '111111111111', accountName: 'prod', roleName: 'Admin' };

function outcome(parts: Partial<SessionOutcome>): SessionOutcome {
  return {
    session: 'corp',
    added: [],
    removed: [],
    changed: [],
    renamed: [],
    skipped: [],
    profileCount: 0,
    held: undefined,
    handEdited: undefined,
    sessionDefinedOutside: false,
    ...parts,
  };
}

const written = { dryRun: false, written: true, durationMs: 12 };

test('each profile added, removed or changed gets a line; a secret value in a change is masked', () => {
  const { log, lines } = capturedLog();
  logOutcome(
    log,
    outcome({
      added: [{ ...prod, name: 'prod-admin', keys: [['sso_session', 'corp']] }],
      removed: [{ name: 'old-admin', accountId: undefined, roleName: 'Admin', values: {} }],
      changed: [
        {
          name: 'dev-admin',
          accountId: '222222222222',
          roleName: 'Admin',
          keys: [
            { key: 'region', before: 'eu-west-1', after: 'eu-north-1' },
            { key: 'aws_session_token', before: 'SECRET-BEFORE', after: 'SECRET-AFTER' },
          ],
        },
      ],
      profileCount: 2,
    }),
    written,
  );
  assert.deepEqual(
    lines.map((l) => [l.level, l.event, l.msg]),
    [
      [levels.info, 'profile.added', 'prod-admin added (account 111111111111, role Admin)'],
      [levels.info, 'profile.removed', 'old-admin removed (account ?, role Admin)'],
      [levels.info, 'profile.changed', 'dev-admin changed (region, aws_session_token)'],
      [levels.info, 'sync.completed', 'sso-session corp: 2 profiles, 1 added, 1 removed, 1 changed'],
    ],
  );
  assert.ok(!JSON.stringify(lines).includes('SECRET'), 'no secret value reaches the log');
  assert.deepEqual(lines[2]?.keys, [
    { key: 'region', before: 'eu-west-1', after: 'eu-north-1' },
    { key: 'aws_session_token', before: masked, after: masked },
  ]);
  assert.deepEqual(
    [lines[3]?.added, lines[3]?.removed, lines[3]?.changed, lines[3]?.written, lines[3]?.durationMs],
    [1, 1, 1, true, 12],
  );
});

test('a dry run says "would be" and that nothing was written; a sync that wrote nothing says the file is unchanged', () => {
  const dry = capturedLog();
  const o = outcome({ added: [{ ...prod, name: 'prod-admin', keys: [] }], profileCount: 1 });
  logOutcome(dry.log, o, { dryRun: true, written: false, durationMs: 1 });
  assert.deepEqual(
    dry.lines.map((l) => [l.msg, l.dryRun]),
    [
      ['prod-admin would be added (account 111111111111, role Admin)', true],
      ['sso-session corp: 1 profiles, 1 added, 0 removed, 0 changed (dry run, nothing written)', true],
    ],
  );
  const still = capturedLog();
  logOutcome(still.log, outcome({ profileCount: 3 }), { dryRun: false, written: false, durationMs: 1 });
  assert.equal(still.lines[0]?.msg, 'sso-session corp: 3 profiles, 0 added, 0 removed, 0 changed, file unchanged');
  assert.equal(still.lines[0].dryRun, undefined);
});

test('a skipped assignment is a warning, unless the settings excluded it; text from the API is quoted', () => {
  const { log, lines } = capturedLog();
  const sneaky = { ...prod, accountName: 'x"\n{"event":"fake"}' };
  logOutcome(
    log,
    outcome({
      skipped: [
        { assignment: prod, reason: 'excluded-role' },
        { assignment: sneaky, reason: 'name-taken', name: 'prod-admin', takenBy: "outside sso-sync's blocks (line 3)" },
      ],
    }),
    written,
  );
  const skipped = lines.filter((l) => l.event === 'profile.skipped');
  assert.deepEqual(
    skipped.map((l) => [l.level, l.reason]),
    [
      [levels.debug, 'excluded-role'],
      [levels.warn, 'name-taken'],
    ],
  );
  assert.equal(skipped[0]?.msg, 'account "prod" ("111111111111"), role "Admin" is excluded by profiles.exclude_roles');
  assert.equal(
    skipped[1]?.msg,
    "profile prod-admin is already defined outside sso-sync's blocks (line 3); that section wins and the profile for " +
      'account "x\\"\\n{\\"event\\":\\"fake\\"}" ("111111111111"), role "Admin" is not generated (rename one of them to get both)',
  );
  assert.ok(!skipped[1].msg.includes('\n'), 'an account name cannot start a line of its own');
  assert.equal(
    skipMessage({ assignment: prod, reason: 'invalid-account-id' }).endsWith('is not 12 digits; skipped'),
    true,
  );
});

test('an update held by the removal guard is an error that gives the command to apply it', () => {
  const { log, lines } = capturedLog();
  logOutcome(log, outcome({ held: { wouldRemove: 6, of: 8, maxRemovalShare: 0.5 }, profileCount: 8 }), written);
  const held = lines.find((l) => l.event === 'sync.held');
  assert.equal(held?.level, levels.error);
  assert.equal(
    held.msg,
    'the update for sso-session corp would remove 6 of its 8 profiles (more than 50%), so it was held and the block left as it was; ' +
      'if the assignments really were removed, run `sso-sync --once --allow-mass-removal --session corp`',
  );
  assert.equal(lines.at(-1)?.held, true);
});

test('a replaced hand edit names the sections and the backup; a file the AWS CLI cannot read names at most five lines', () => {
  const { log, lines } = capturedLog();
  warnHandEdits(
    log,
    '/c',
    [outcome({ handEdited: { sections: ['prod-admin'] } }), outcome({ session: 'lab' })],
    '/b/config.bak',
  );
  warnUnreadable(
    log,
    '/c',
    Array.from({ length: 7 }, (_, i) => ({ line: i + 1, problem: 'repeated key region' })),
  );
  warnUnreadable(log, '/c', []);
  assert.deepEqual(
    lines.map((l) => l.msg),
    [
      'the sso-sync block for corp in /c was edited by hand; the edits were replaced (prod-admin). ' +
        'The previous file is saved in /b/config.bak; put lasting changes outside the block or in the settings',
      'the AWS CLI cannot read /c ("Unable to parse config file"): it refuses a section or a key given twice ' +
        '(line 1: repeated key region; line 2: repeated key region; line 3: repeated key region; ' +
        'line 4: repeated key region; line 5: repeated key region; and 2 more); ' +
        'sso-sync still syncs its blocks and leaves the rest as it is, but merge the repeats by hand for any profile to work',
    ],
  );
});

test('an assignment excluded by an override names the override key that excluded it', () => {
  assert.equal(
    skipMessage({ assignment: prod, reason: 'excluded-account', by: 'profiles.accounts.*sandbox*' }),
    'account "prod" ("111111111111"), role "Admin" is excluded by profiles.accounts.*sandbox*',
  );
  assert.equal(
    skipMessage({ assignment: prod, reason: 'excluded-role', by: 'profiles.accounts.prod.roles.Admin' }),
    'account "prod" ("111111111111"), role "Admin" is excluded by profiles.accounts.prod.roles.Admin',
  );
});

test('overrides that matched nothing: a warning each, naming the key and the file', () => {
  const { log, lines } = capturedLog();
  warnUnmatchedOverrides(log, '/home/me/.config/sso-sync/settings.yaml', [
    'profiles.accounts.111111111112',
    'profiles.accounts.*prod*.roles.Admn',
  ]);
  assert.deepEqual(
    lines.map((l) => [l.level, l.event, l.key, l.msg]),
    [
      [
        levels.warn,
        'settings.unmatched',
        'profiles.accounts.111111111112',
        '/home/me/.config/sso-sync/settings.yaml: profiles.accounts.111111111112 matches no account you are ' +
          'assigned, so it does nothing; check the account id or name for a typo (or remove it if the assignment is ' +
          'gone)',
      ],
      [
        levels.warn,
        'settings.unmatched',
        'profiles.accounts.*prod*.roles.Admn',
        '/home/me/.config/sso-sync/settings.yaml: profiles.accounts.*prod*.roles.Admn matches no role of the ' +
          'accounts it is under, so it does nothing; check the role name for a typo (or remove it if the assignment ' +
          'is gone)',
      ],
    ],
  );
});
