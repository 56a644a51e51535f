/**
 * The merge benchmark's floor (bench/floor-sync.ts) does the job sso-sync does on the benchmark's input, or its
 * figure would say nothing: the same bytes written, nothing written the second time, the same answer on repeats.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { floorSync } from '../../bench/floor-sync.js';
import { benchAssignments, writePersonsConfig } from '../../bench/merge-kit.js';
import { readConfig, writeConfig } from '../../src/config-file/config-file.js';
import { scanConfig, unreadableIn } from '../../src/core/config-text.js';
import { planSync, type ReadyPlan } from '../../src/core/plan.js';
import { defaultRules } from '../../src/core/profile-names.js';
import { sessionsFromConfig } from '../../src/sync/sessions.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A sync by sso-sync of `profiles` of the benchmark's assignments into `file`, as merge-child.ts runs one. */
async function ssoSync(file: string, profiles: number): Promise<ReadyPlan> {
  const snapshot = await readConfig(file, { findWriters: null });
  const scan = scanConfig(snapshot.text ?? '');
  const [session] = sessionsFromConfig(scan.outside).sessions;
  const plan = planSync({
    text: snapshot.text,
    scan,
    fetched: [{ session: session!, assignments: benchAssignments(profiles) }],
    configuredSessions: ['bench'],
    rules: defaultRules,
    guard: { maxRemovalShare: 0.5, allowMassRemoval: false },
  });
  assert.ok(plan.ok);
  if (plan.changed) await writeConfig(snapshot, () => plan.text, { findWriters: null });
  return plan;
}

test("the floor writes sso-sync's bytes into the benchmark's config, then nothing; repeats as sso-sync counts them", async (t) => {
  const dir = tempDir(t);
  const pristine = path.join(dir, 'persons-config');
  writePersonsConfig(pristine, 0.2);
  const [ours, floors] = [path.join(dir, 'ours'), path.join(dir, 'floors')];
  for (const profiles of [0, 1, 2_000]) {
    copyFileSync(pristine, ours);
    copyFileSync(pristine, floors);
    const plan = await ssoSync(ours, profiles);
    const first = floorSync(floors, benchAssignments(profiles), 'eu-north-1');
    assert.deepEqual(first, { written: true, repeats: 0 }, `${profiles} profiles`);
    assert.ok(readFileSync(floors).equals(readFileSync(ours)), `${profiles} profiles: the same bytes`);
    assert.deepEqual(unreadableIn(plan.text), []);
    assert.deepEqual(floorSync(floors, benchAssignments(profiles), 'eu-north-1'), { written: false, repeats: 0 });
    assert.equal((await ssoSync(ours, profiles)).changed, false);
  }
  // A section and a key given twice by the person: both count, as the AWS CLI refuses both.
  writeFileSync(floors, `${readFileSync(pristine, 'latin1')}[profile hand-0]\nregion = x\nRegion = y\n`, 'latin1');
  assert.deepEqual(floorSync(floors, benchAssignments(10), 'eu-north-1'), { written: true, repeats: 2 });
  assert.equal(unreadableIn(readFileSync(floors, 'latin1')).length, 2);
});
