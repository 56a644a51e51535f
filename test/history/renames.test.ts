/**
 * Renames in the history: a sync logs `profile.renamed` with the old and new names, and `sso-sync log` shows it as
 * one line (`=` old -> new), in its JSON, and in its counts; a dry run's rename is no history.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionOutcome } from '../../src/core/plan.js';
import { countHistory, formatHistory, historyJson, parseHistory } from '../../src/history/history.js';
import { logOutcome } from '../../src/sync/sync-log.js';
import { capturedLog } from '../sync/captured-log.js';

process.env.TZ = 'UTC';

const outcome: SessionOutcome = {
  session: 'mycorp',
  added: [
    {
      name: 'staging-admin',
      session: 'mycorp',
      accountId: '222222222222',
      accountName: 'Staging',
      roleName: 'AdministratorAccess',
      keys: [],
    },
  ],
  removed: [],
  changed: [],
  renamed: [
    {
      from: 'prod-admin',
      to: 'production-admin',
      accountId: '111111111111',
      roleName: 'AdministratorAccess',
      region: 'eu-west-1',
      keys: [],
    },
    {
      from: 'prod',
      to: 'production-ro',
      accountId: '111111111111',
      roleName: 'ReadOnlyAccess',
      region: 'eu-west-1',
      keys: [{ key: 'aws_secret_access_key', before: 'OLD-SECRET', after: undefined }],
    },
  ],
  skipped: [],
  profileCount: 3,
  held: undefined,
  handEdited: undefined,
  sessionDefinedOutside: false,
};

/** The lines a sync logs for the outcome, as the log file holds them, at a fixed time. */
function logged(dryRun: boolean): string {
  const { log, lines } = capturedLog();
  logOutcome(log, outcome, { dryRun, written: !dryRun, durationMs: 5 });
  return lines.map((l) => `${JSON.stringify({ ...l, time: '2026-11-21T08:00:00.000Z' })}\n`).join('');
}

test('a sync logs each rename once, with the old and the new name, never as a removal and an addition', () => {
  const { log, lines } = capturedLog();
  logOutcome(log, outcome, { dryRun: false, written: true, durationMs: 5 });
  assert.deepEqual(
    lines.map((l) => [l.event, l.msg]),
    [
      ['profile.added', 'staging-admin added (account 222222222222, role AdministratorAccess)'],
      [
        'profile.renamed',
        'prod-admin renamed to production-admin (account 111111111111, role AdministratorAccess, region eu-west-1)',
      ],
      [
        'profile.renamed',
        'prod renamed to production-ro (account 111111111111, role ReadOnlyAccess, region eu-west-1); ' +
          'changed aws_secret_access_key',
      ],
      ['sync.completed', 'sso-session mycorp: 3 profiles, 1 added, 0 removed, 0 changed, 2 renamed'],
    ],
  );
  assert.deepEqual(
    [lines[1]?.from, lines[1]?.to, lines[1]?.profile, lines[1]?.accountId, lines[1]?.role],
    ['prod-admin', 'production-admin', 'production-admin', '111111111111', 'AdministratorAccess'],
  );
  assert.equal(lines[3]?.renamed, 2);
  assert.ok(!JSON.stringify(lines).includes('OLD-SECRET'), 'a secret value never reaches the log');
});

test('sso-sync log shows a rename as one line, old -> new, and counts it; a dry run is left out', () => {
  const { entries } = parseHistory([logged(false), logged(true)]);
  assert.deepEqual(formatHistory(entries), [
    '2026-11-21 08:00  mycorp  + staging-admin                   222222222222  AdministratorAccess',
    '2026-11-21 08:00  mycorp  = prod-admin -> production-admin  111111111111  AdministratorAccess',
    '2026-11-21 08:00  mycorp  = prod -> production-ro           111111111111  ReadOnlyAccess  ' +
      'aws_secret_access_key: ******** -> (none)',
  ]);
  assert.equal(countHistory(entries), '1 added, 2 renamed');
  assert.deepEqual(historyJson(entries[1]!), {
    time: '2026-11-21T08:00:00.000Z',
    event: 'profile.renamed',
    session: 'mycorp',
    profile: 'production-admin',
    accountId: '111111111111',
    role: 'AdministratorAccess',
    from: 'prod-admin',
    keys: [],
  });
});
