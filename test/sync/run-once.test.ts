/** One sync cycle in process, for what only happens between the read and the rename. */
import assert from 'node:assert/strict';
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { startEmulator } from '../../src/emulator/server.js';
import { runOnce, type SyncDeps } from '../../src/sync/run-once.js';
import { signInHome, syncDeps, useEmulatorEndpoint } from '../helpers/in-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { hook } from '../helpers/writer-hook.js';
import { deadPid, leaveDeadLock } from '../fs/dead-lock.js';

const a =
  '[default]\nregion = eu-west-1\n\n[sso-session mycorp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-north-1\n';

/** A signed-in home whose config holds `a`, and a sync of it with the writer's test hooks. */
async function setUp(t: TestContext) {
  const emulator = await startEmulator({ fixture: builtinFixture() });
  t.after(() => emulator.stop());
  const home = tempDir(t, 'sso-sync-once-');
  const config = path.join(home, '.aws', 'config');
  mkdirSync(path.dirname(config), { recursive: true });
  writeFileSync(config, a);
  await signInHome(emulator, home, 'mycorp');
  useEmulatorEndpoint(t, emulator);
  const sync = (writeHooks: SyncDeps['writeHooks']) =>
    runOnce(syncDeps(home, { writeHooks }), {
      sessions: [],
      dryRun: false,
      allowMassRemoval: false,
      settingsFile: undefined,
    });
  return { config, sync };
}

test("a file changed and changed back while sso-sync writes keeps the person's content, not the intermediate one", async (t) => {
  const { config, sync } = await setUp(t);
  const b = a.replace('region = eu-west-1', 'region = us-east-1   # a mistake, undone a moment later');
  let step = 0;
  // First attempt: someone writes B. Second attempt: they change it back to A.
  const report = await sync({
    afterTempWritten: hook(() => writeFileSync(config, ++step === 1 ? b : step === 2 ? a : readFileSync(config))),
  });
  assert.equal(report.exitCode, 0);
  assert.equal(step, 3, 'the merge was redone twice');
  const text = readFileSync(config, 'utf8');
  assert.ok(text.startsWith(a), `the person's content A is kept:\n${text.slice(0, 200)}`);
  assert.match(text, /# BEGIN sso-sync mycorp/);
});

test('a change rescued from the replaced file that a newer change keeps from being merged is saved in the backups', async (t) => {
  const { config, sync } = await setUp(t);
  const other = openSync(config, 'r+');
  t.after(() => closeSync(other));
  const rescued = a.replace('region = eu-west-1', 'region = ap-south-1');
  let renames = 0;
  let temps = 0;
  const failed = await sync({
    // The other program writes in place into the file sso-sync has just replaced...
    afterRename: hook(() => {
      if (renames++ > 0) return;
      ftruncateSync(other, 0);
      writeSync(other, rescued, 0);
    }),
    // ...and while that change is merged, another change lands on the path.
    afterTempWritten: hook(() => {
      if (temps++ === 1)
        writeFileSync(config, `${readFileSync(config, 'utf8')}\n[profile newer]\nregion = us-east-1\n`);
    }),
  }).then(
    () => assert.fail('the sync cannot say all was merged'),
    (error: unknown) => error as Error,
  );
  const saved = /saved in (\S+)\)/.exec(failed.message)?.[1];
  assert.ok(saved, failed.message);
  assert.match(
    failed.message,
    /the profiles are written, but a change another program made at the same moment may be missing/,
  );
  assert.equal(path.dirname(saved), path.join(path.dirname(config), '..', 'state', 'sso-sync', 'backups'));
  assert.equal(readFileSync(saved, 'utf8'), rescued, 'the rescued change is kept in the backup');
  assert.match(readFileSync(config, 'utf8'), /\[profile newer\]/, 'the newer change stays in the config');
});

test('a sync with nothing to write still clears the temp file and the lock a killed writer left', async (t) => {
  const { config, sync } = await setUp(t);
  assert.equal((await sync(undefined)).written, true);
  const dir = path.dirname(config);
  const killed = deadPid();
  writeFileSync(path.join(dir, `.config.sso-sync-${killed}-0a1b2c3d.tmp`), 'half a file');
  writeFileSync(path.join(dir, `.config.sso-sync-${process.pid}-0a1b2c3d.tmp`), 'a live writer of this process');
  leaveDeadLock(`${config}.sso-sync.lock`);
  const report = await sync(undefined);
  assert.equal(report.written, false, 'nothing to write');
  const left = readdirSync(dir).filter((n) => n !== 'sso'); // the token cache
  assert.deepEqual(left.sort(), [`.config.sso-sync-${process.pid}-0a1b2c3d.tmp`, 'config'].sort());
});
