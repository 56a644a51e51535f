/**
 * The daemon's schedule kept with timers, its times reckoned elsewhere (node-cron, in a worker): each time runs the
 * task once and asks for the next; a timer woken early by a wall clock set back waits again; a reckoning that fails
 * is said once and asked again each minute until it works; a stop ends it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Clock } from '../../src/clock/clock.js';
import { cronTimes, retryMs } from '../../src/daemon/cron-times.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { recordingLog } from './harness.js';

const minute = 60_000;

/** A schedule every 30 minutes, from the clock's start; the times asked for, and what `changed` heard. */
function every30(clock: Clock, fail: () => boolean = () => false) {
  const asked: number[] = [];
  const nextTime = (expression: string) => {
    assert.equal(expression, '0 */30 * * * *');
    asked.push(clock.now());
    if (fail()) return Promise.reject(new Error('the worker process exited with status 1 before it answered'));
    return Promise.resolve(Math.floor(clock.now() / (30 * minute)) * 30 * minute + 30 * minute);
  };
  return { asked, nextTime };
}

/**
 * A schedule every 30 minutes on timers that count elapsed time (`timers`), the daemon reading a wall clock that can
 * be set back from them (`setBack`); how many times it ran.
 */
function wallClockApart() {
  const timers = new FakeClock(Date.parse('2026-01-05T09:00:00Z'));
  let behind = 0;
  const clock: Clock = {
    now: () => timers.now() - behind,
    sleep: (ms) => timers.sleep(ms),
    setTimer: (ms, fn) => timers.setTimer(ms, fn),
  };
  const { log } = recordingLog();
  const { nextTime } = every30(clock);
  let runs = 0;
  cronTimes(
    { clock, log, nextTime },
    '0 */30 * * * *',
    () => runs++,
    () => undefined,
  );
  return { timers, setBack: (ms: number) => (behind = ms), runs: () => runs };
}

test('each time the expression comes the task runs once, and the next time is asked for and told', async () => {
  const clock = new FakeClock(Date.parse('2026-01-05T09:00:00Z'));
  const { log, lines } = recordingLog();
  const { asked, nextTime } = every30(clock);
  let runs = 0;
  let changed = 0;
  const scheduled = cronTimes(
    { clock, log, nextTime },
    '0 */30 * * * *',
    () => runs++,
    () => changed++,
  );
  await clock.advance(0);
  assert.equal(scheduled.nextRun()?.toISOString(), '2026-01-05T09:30:00.000Z');
  assert.equal(changed, 1);
  await clock.advance(30 * minute - 1);
  assert.equal(runs, 0, 'not a millisecond early');
  await clock.advance(1);
  assert.equal(runs, 1);
  assert.equal(scheduled.nextRun()?.toISOString(), '2026-01-05T10:00:00.000Z');
  await clock.advance(90 * minute);
  assert.equal(runs, 4);
  assert.equal(asked.length, 5, 'once at the start, once after each run');
  assert.equal(changed, 5);
  scheduled.stop();
  await clock.advance(120 * minute);
  assert.equal(runs, 4, 'nothing after the stop');
  assert.deepEqual(lines, []);
});

test('a timer that wakes before its time (the wall clock was set back) waits again and runs the task on time', async () => {
  const { timers, setBack, runs } = wallClockApart();
  await timers.advance(10 * minute);
  setBack(5 * minute);
  await timers.advance(20 * minute);
  assert.equal(runs(), 0, 'at 09:25 by the wall clock');
  await timers.advance(5 * minute);
  assert.equal(runs(), 1, 'at 09:30 by the wall clock');
});

test('a next time that cannot be worked out is said once, asked again every minute, and the schedule goes on when it works', async () => {
  const clock = new FakeClock(Date.parse('2026-01-05T09:00:00Z'));
  const { log, lines } = recordingLog();
  let failing = true;
  const { asked, nextTime } = every30(clock, () => failing);
  let runs = 0;
  const scheduled = cronTimes(
    { clock, log, nextTime },
    '0 */30 * * * *',
    () => runs++,
    () => undefined,
  );
  await clock.advance(5 * retryMs);
  assert.equal(asked.length, 6);
  assert.equal(scheduled.nextRun(), undefined);
  assert.deepEqual(
    lines.map((l) => [l.event, l.level]),
    [['schedule.failed', 50]],
  );
  assert.match(
    String(lines[0]?.msg),
    /could not work out when the schedule 0 \*\/30 \* \* \* \* runs next \(the worker/,
  );
  assert.match(String(lines[0]?.msg), /trying again every 60 s/);
  failing = false;
  await clock.advance(retryMs);
  assert.equal(scheduled.nextRun()?.toISOString(), '2026-01-05T09:30:00.000Z');
  await clock.advance(30 * minute);
  assert.equal(runs, 1);
  failing = true;
  await clock.advance(30 * minute);
  assert.equal(runs, 2, 'the run at 10:00, after which the next time cannot be worked out');
  assert.equal(lines.length, 2, 'a new spell of failures is said again');
});

test('a timer woken a moment early (the wall clock set back 400 ms meanwhile) runs the task once, on time', async () => {
  const { timers, setBack, runs } = wallClockApart();
  await timers.advance(10 * minute);
  setBack(400);
  await timers.advance(20 * minute);
  assert.equal(runs(), 0, 'at 09:29:59.6 by the wall clock');
  await timers.advance(400);
  assert.equal(runs(), 1, 'at 09:30 by the wall clock');
  await timers.advance(29 * minute);
  assert.equal(runs(), 1, 'not again for 09:30');
  await timers.advance(minute);
  assert.equal(runs(), 2, 'at 10:00');
});
