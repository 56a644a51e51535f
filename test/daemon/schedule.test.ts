/**
 * The spread schedule: the default one runs at this installation's own place in the half hour, drawn once and kept
 * across restarts, plus a jitter per run; a written one runs as written, later by the installation's share of splay.
 * `nextRun` (what `status` shows) is when the run really comes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { validate } from 'node-cron';
import { scheduleOffset } from '../../src/daemon/schedule-offset.js';
import { scheduleTiming } from '../../src/daemon/schedule-timing.js';
import { SyncSchedule } from '../../src/daemon/sync-schedule.js';
import { scheduleOffsetFile } from '../../src/paths.js';
import { zeroSettings } from '../../src/settings/schema.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { debounceMs } from '../../src/daemon/watchers.js';
import { fakeSchedule, harness, recordingLog, token } from './harness.js';

const minute = 60_000;
const defaults = zeroSettings();

test("the default schedule runs every 30 minutes at the installation's place: a valid cron time for any draw", () => {
  assert.deepEqual(scheduleTiming(defaults, 0).expression, '0 0,30 * * * *');
  const t = scheduleTiming(defaults, 0.5792);
  assert.equal(t.expression, '22 17,47 * * * *', '0.5792 of 30 minutes is 17 min 22.56 s');
  assert.equal(t.jitterMs, 60_000);
  assert.equal(t.delayMs, 0);
  assert.match(t.description, /every 30 minutes at :17:22 and :47:22 past the hour/);
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (fraction) => {
      const { expression } = scheduleTiming(defaults, fraction);
      assert.ok(validate(expression), expression);
      const [second, minutes] = expression.split(' ');
      const [m1, m2] = minutes!.split(',').map(Number);
      const offsetS = m1! * 60 + Number(second);
      assert.equal(m2! - m1!, 30);
      assert.ok(Math.abs(offsetS - fraction * 1800) < 1, `${expression} for ${fraction}`);
    }),
  );
});

test('a written schedule is kept as written; splay adds a fixed share of itself, no jitter', () => {
  const written = { ...defaults, schedule: '0 9 * * 1-5', scheduleWritten: true };
  assert.deepEqual(scheduleTiming(written, 0.25), {
    expression: '0 9 * * 1-5',
    delayMs: 0,
    jitterMs: 0,
    description: '0 9 * * 1-5',
  });
  const splayed = scheduleTiming({ ...written, splayMs: 20 * minute }, 0.25);
  assert.equal(splayed.delayMs, 5 * minute);
  assert.equal(splayed.description, '0 9 * * 1-5, 5m later (splay)');
});

test('the offset is drawn once and kept: stable across restarts, different across installations', async (t) => {
  const { log, lines } = recordingLog();
  const one = tempDir(t);
  const other = tempDir(t);
  const first = await scheduleOffset(one, log);
  assert.ok(first >= 0 && first < 1);
  assert.equal(await scheduleOffset(one, log), first, 'a restart finds the same place');
  assert.equal(statSync(scheduleOffsetFile(one)).mode & 0o777, 0o600);
  assert.notEqual(await scheduleOffset(other, log), first, 'another installation draws its own');
  // Drawn from the operating system's random source: over many installations, uniform over the half hour.
  const draws = await Promise.all(Array.from({ length: 400 }, () => scheduleOffset(tempDir(t), log)));
  const quarters = [0, 1, 2, 3].map((q) => draws.filter((d) => Math.floor(d * 4) === q).length);
  for (const n of quarters) assert.ok(n > 60 && n < 140, `quarters ${quarters.join(', ')}`);
  assert.deepEqual(lines, [], 'nothing to warn about');
});

test('a damaged offset file is drawn anew with a warning; two starts at once agree on one draw', async (t) => {
  const { log, lines } = recordingLog();
  const dir = tempDir(t);
  writeFileSync(scheduleOffsetFile(dir), '{"fraction": 7}');
  const redrawn = await scheduleOffset(dir, log, () => 0.125);
  assert.equal(redrawn, 0.125);
  assert.deepEqual(JSON.parse(readFileSync(scheduleOffsetFile(dir), 'utf8')) as unknown, { fraction: 0.125 });
  assert.equal(lines[0]?.event, 'schedule.offset_redrawn');

  const fresh = path.join(tempDir(t), 'state');
  mkdirSync(fresh);
  let n = 0;
  const both = await Promise.all([0, 1].map(() => scheduleOffset(fresh, log, () => [0.2, 0.7][n++]!)));
  assert.equal(both[0], both[1], `one draw is kept: ${both.join(', ')}`);
});

test('a run comes after its cron time by its delay; nextRun and the recorded next run say when', async () => {
  const clock = new FakeClock();
  const fired: number[] = [];
  const recorded: (number | undefined)[] = [];
  const draws = [0.5, 0.25, 0];
  const schedule = new SyncSchedule({
    clock,
    schedule: fakeSchedule(clock, 30 * minute),
    recordNextRun: (next) => {
      recorded.push(next?.getTime());
      return Promise.resolve();
    },
    random: () => draws.shift() ?? 0,
    fire: () => fired.push(clock.now()),
  });
  const t0 = clock.now();
  schedule.set({ expression: 'x', delayMs: 2 * minute, jitterMs: 60_000, description: '' });
  // The first run: its cron time in 30 minutes, plus 2 minutes of splay and half of the minute of jitter.
  assert.equal(schedule.nextRun()?.getTime(), t0 + 32.5 * minute);
  assert.equal(recorded.at(-1), t0 + 32.5 * minute, 'status is told the real time');
  await clock.advance(30 * minute);
  assert.deepEqual(fired, [], 'the cron time has come, the run not yet');
  assert.equal(schedule.nextRun()?.getTime(), t0 + 32.5 * minute);
  await clock.advance(2.5 * minute);
  assert.deepEqual(fired, [t0 + 32.5 * minute]);
  assert.equal(schedule.nextRun()?.getTime(), t0 + 62.25 * minute, 'the next with its own jitter');
  await clock.advance(30 * minute);
  assert.deepEqual(fired, [t0 + 32.5 * minute, t0 + 62.25 * minute]);
  // A new timing drops the run waiting out its delay.
  await clock.advance(28 * minute);
  schedule.set({ expression: 'y', delayMs: 0, jitterMs: 0, description: '' });
  await clock.advance(5 * minute);
  assert.equal(fired.length, 2);
  schedule.stop();
  assert.deepEqual(clock.pending(), [], 'stopped: nothing left to fire');
});

test("the daemon syncs on the default schedule at its installation's place, and a written one as written", async (t) => {
  const placed = harness(t, { offset: 0.5, scheduleMs: 30 * minute });
  await placed.start();
  assert.deepEqual(placed.expressions, ['0 15,45 * * * *']);
  assert.match(String(placed.events('daemon.started')[0]?.msg), /schedule every 30 minutes at :15:00 and :45:00/);
  assert.equal(await placed.stop(), 0);
  const written = harness(t, { offset: 0.5, settings: [{ schedule: '*/30 * * * *', scheduleWritten: true }] });
  await written.start();
  assert.deepEqual(written.expressions, ['*/30 * * * *'], 'kept as written');
  assert.equal(await written.stop(), 0);
});

test('a sign-in syncs its session with a full scan; the start and the scheduled syncs build on the role lists', async (t) => {
  const h = harness(t, { scheduleMs: 30 * minute });
  await h.start();
  await h.writeToken('mycorp', token(h.clock.now(), 3600_000, 'signed-in', false));
  h.change(h.tokenFile());
  await h.clock.advance(debounceMs);
  await h.clock.advance(30 * minute);
  assert.deepEqual(
    h.syncs.map((s) => [s.request.sessions, s.request.incremental, s.request.fullScan]),
    [
      [[], true, []],
      [['mycorp'], true, ['mycorp']],
      [[], true, []],
    ],
  );
  assert.equal(await h.stop(), 0);
});
