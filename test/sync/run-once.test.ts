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
import { systemClock, type Clock } from '../../src/clock/clock.js';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { startEmulator } from '../../src/emulator/server.js';
import { SsoSyncError } from '../../src/errors.js';
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
  return { config, home, sync };
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

/** The real clock, with `step` (another program's write, say) run as each of its waits ends; counts the waits. */
function clockWith(step: (wait: number) => void): Clock & { waits: () => number } {
  let waits = 0;
  return {
    ...systemClock,
    sleep: async (ms) => {
      await systemClock.sleep(ms);
      step(++waits);
    },
    waits: () => waits,
  };
}

/** What a read of a file caught mid-write by another program sees: sso-sync's block cut short, no END marker. */
const torn = `${a}\n# BEGIN sso-sync mycorp (managed: edits inside are replaced; checksum 00000000)\n[profile one]\nsso_ses`;

const request = { sessions: [], dryRun: false, allowMassRemoval: false, settingsFile: undefined };

test('a read cut short by a program rewriting the file in place is refused as kept changing, not as damaged', async (t) => {
  const { config, home } = await setUp(t);
  writeFileSync(config, torn);
  // The program goes on rewriting the file, whole each time, while sso-sync reads it again.
  let last = torn;
  const clock = clockWith((n) => writeFileSync(config, (last = `${a}# edit ${n}\n`)));
  const error = await runOnce(syncDeps(home, { clock }), request).then(
    () => assert.fail('a file that never holds still is not synced'),
    (e: unknown) => e as SsoSyncError,
  );
  assert.match(error.message, /config kept changing while sso-sync read it[^\n]*nothing was written/);
  assert.doesNotMatch(error.message, /damaged/, 'the person is not told to repair markers that are fine');
  assert.equal(error.exitCode, 4);
  assert.equal(readFileSync(config, 'latin1'), last, 'nothing was written');
});

test('a read cut short by a program that then finishes its write is synced on the whole file', async (t) => {
  const { config, home } = await setUp(t);
  writeFileSync(config, torn);
  const whole = `${a}\n[profile theirs]\nregion = us-east-1\n`;
  const clock = clockWith((n) => {
    if (n === 1) writeFileSync(config, whole);
  });
  const report = await runOnce(syncDeps(home, { clock }), request);
  assert.equal(report.exitCode, 0);
  assert.equal(report.written, true);
  const text = readFileSync(config, 'latin1');
  assert.ok(text.startsWith(whole), `the other program's file is kept whole:\n${text.slice(0, 300)}`);
  assert.match(text, /# END sso-sync mycorp/);
});

test('a file whose markers really are damaged is still refused as damaged, after one more read', async (t) => {
  const { config, home } = await setUp(t);
  writeFileSync(config, torn);
  const clock = clockWith(() => undefined);
  const error = await runOnce(syncDeps(home, { clock }), request).then(
    () => assert.fail('damaged markers are refused'),
    (e: unknown) => e as SsoSyncError,
  );
  assert.equal(
    error.message,
    `the sso-sync markers in ${config} are damaged, so it was not written:\n` +
      `  ${config}:8: the block for "mycorp" has no END marker\n` +
      "Repair or delete the damaged block by hand (every line between a BEGIN and its END marker is sso-sync's), " +
      'then run again.',
  );
  assert.equal(error.exitCode, 4);
  assert.equal(clock.waits(), 1, 'confirmed on the first read again, which found the file as it was');
  assert.equal(readFileSync(config, 'latin1'), torn, 'nothing was written');
});
