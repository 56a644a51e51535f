/**
 * Writing a sync's plan: a hand edit inside a block is backed up before it is replaced (and nothing is written when
 * the backup cannot be saved); a change another program makes meanwhile gets a new plan; another program's change
 * that cannot be merged is kept in the backups.
 */
import assert from 'node:assert/strict';
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { test, type TestContext } from 'node:test';
import { systemClock } from '../../src/clock/clock.js';
import { readConfig } from '../../src/config-file/config-file.js';
import { planSync, type ReadyPlan } from '../../src/core/plan.js';
import { defaultRules } from '../../src/core/profile-names.js';
import type { Assignment } from '../../src/core/types.js';
import { writePlan, type PlanWrite } from '../../src/sync/write-plan.js';
import { tempDir } from '../helpers/temp-dir.js';

const corp = {
  name: 'corp',
  startUrl: 'https://corp.awsapps.com/start',
  region: 'eu-north-1',
  scopes: ['sso:account:access'],
};
const assignments: Assignment[] = [
  { session: 'corp', accountId: '111111111111', accountName: 'prod', roleName: 'AdministratorAccess' },
  { session: 'corp', accountId: '222222222222', accountName: 'dev', roleName: 'AdministratorAccess' },
];

function planFor(text: string | undefined): ReadyPlan {
  const plan = planSync({
    text,
    fetched: [{ session: corp, assignments }],
    configuredSessions: ['corp'],
    rules: defaultRules,
    guard: { maxRemovalShare: 0.5, allowMassRemoval: false },
  });
  assert.ok(plan.ok);
  return plan;
}

/** A home whose config holds `text`, and what writePlan needs to write the plan for it. */
async function setUp(t: TestContext, text: string, hooks?: PlanWrite['hooks']) {
  const home = tempDir(t, 'sso-sync-write-plan-');
  const config = path.join(home, '.aws', 'config');
  mkdirSync(path.dirname(config), { recursive: true });
  writeFileSync(config, text, 'latin1');
  const env = { HOME: home, XDG_STATE_HOME: path.join(home, 'state') };
  const snapshot = await readConfig(config);
  const log = pino({ level: 'silent' });
  const input: PlanWrite = {
    env,
    clock: systemClock,
    log,
    snapshot,
    firstPlan: planFor(snapshot.text),
    planFor,
    hooks,
  };
  return { config, backups: path.join(home, 'state', 'sso-sync', 'backups'), input };
}

/** The config as sso-sync writes it, then edited by hand inside its block. */
const synced = planFor('[default]\nregion = eu-west-1\n').text;
const handEdited = synced.replace(/(\[profile prod-admin\]\n)/, '$1# my note\nregion = ap-south-1\n');

test('a hand edit inside the block is saved in the backups before it is replaced, and the plan says where', async (t) => {
  assert.notEqual(handEdited, synced, 'the test edits the block');
  const { config, backups, input } = await setUp(t, handEdited);
  const result = await writePlan(input);
  assert.equal(result.written, true);
  assert.equal(readFileSync(config, 'latin1'), synced, 'the block is as sso-sync writes it again');
  assert.equal(result.configText, synced);
  assert.deepEqual(result.plan.outcomes[0]?.handEdited, { sections: ['prod-admin'] });
  assert.ok(result.backup, 'a backup is named');
  assert.equal(path.dirname(result.backup), backups);
  assert.equal(readFileSync(result.backup, 'latin1'), handEdited, 'the backup holds the hand edit');
  assert.equal(statSync(result.backup).mode & 0o777, 0o600);
});

test('a hand edit whose backup cannot be saved is not replaced: exit 4, the file untouched', async (t) => {
  const { config, input } = await setUp(t, handEdited);
  // The state directory's place is taken by a file: no backup can be made there.
  writeFileSync(path.join(path.dirname(path.dirname(config)), 'state'), 'not a directory');
  const before = statSync(config, { bigint: true });
  await assert.rejects(
    writePlan(input),
    (error: Error & { code?: string }) =>
      error.code === 'config.refused' &&
      /^the sso-sync block in \S+ was edited by hand, and the backup of the file could not be saved in .*Nothing was written/.test(
        error.message,
      ),
  );
  assert.equal(readFileSync(config, 'latin1'), handEdited);
  const after = statSync(config, { bigint: true });
  assert.deepEqual([after.ino, after.mtimeNs], [before.ino, before.mtimeNs]);
  assert.deepEqual(readdirSync(path.dirname(config)), ['config'], 'no temp or lock file is left');
});

test('no hand edit, no backup; a change made meanwhile by another program gets its own plan', async (t) => {
  const other = '[default]\nregion = us-east-1\n';
  let raced = false;
  const { config, backups, input } = await setUp(t, '[default]\nregion = eu-west-1\n', {
    afterTempWritten: () => {
      if (!raced) writeFileSync(config, other);
      raced = true;
      return Promise.resolve();
    },
  });
  const result = await writePlan(input);
  assert.equal(result.written, true);
  assert.equal(result.redone, 1);
  assert.equal(result.backup, undefined);
  assert.equal(readFileSync(config, 'latin1'), planFor(other).text, "the other program's change is kept");
  assert.equal(result.plan.text, planFor(other).text, 'the plan reported is the one written');
  assert.equal(existsSync(backups), false, 'nothing is saved in the backups');
});

test('a change rescued from the replaced file that a newer change keeps from being merged is kept in the backups', async (t) => {
  const start = '[default]\nregion = eu-west-1\n';
  const rescued = '[default]\nregion = ap-south-1\n';
  let renames = 0;
  let temps = 0;
  let fd = -1;
  const { config, backups, input } = await setUp(t, start, {
    // The other program writes in place into the file sso-sync has just replaced...
    afterRename: () => {
      if (renames++ === 0) {
        ftruncateSync(fd, 0);
        writeSync(fd, rescued, 0);
      }
      return Promise.resolve();
    },
    // ...and while that change is merged, another change lands on the path.
    afterTempWritten: () => {
      if (temps++ === 1) writeFileSync(config, '[default]\nregion = newer\n');
      return Promise.resolve();
    },
  });
  fd = openSync(config, 'r+');
  t.after(() => closeSync(fd));
  const error = await writePlan(input).then(
    () => assert.fail('the write cannot say all was merged'),
    (e: unknown) => e as Error,
  );
  const saved = /saved in (\S+)\)/.exec(error.message)?.[1];
  assert.ok(saved, error.message);
  assert.equal(path.dirname(saved), backups);
  assert.equal(readFileSync(saved, 'latin1'), rescued);
  assert.equal(readFileSync(config, 'latin1'), '[default]\nregion = newer\n', 'the newer change stays');
});
