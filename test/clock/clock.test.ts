/** The real clock's timers, on node:test's mock timers: any delay works, also one longer than setTimeout's cap. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { longTimer, systemClock } from '../../src/clock/clock.js';

test('a timer longer than the cap waits in steps and fires once, on time', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const fired: number[] = [];
  let elapsed = 0;
  const tick = (ms: number) => {
    elapsed += ms;
    t.mock.timers.tick(ms);
  };
  longTimer(250, () => fired.push(elapsed), 100);
  tick(100);
  tick(100);
  tick(49);
  assert.deepEqual(fired, []);
  tick(1);
  assert.deepEqual(fired, [250]);
  tick(1000);
  assert.deepEqual(fired, [250]);
});

test('a cancelled timer does not fire, whichever step it was in', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let fired = 0;
  const first = longTimer(250, () => fired++, 100);
  const second = longTimer(250, () => fired++, 100);
  first.cancel();
  t.mock.timers.tick(150);
  second.cancel();
  t.mock.timers.tick(1000);
  assert.equal(fired, 0);
});

test("the system clock's timer and sleep wait for 30 days (setTimeout alone would fire at once)", async (t) => {
  // Mock timers run a callback at the end of the tick that reaches it: tick to each step's end exactly.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const days30 = 30 * 86400_000;
  const cap = 2 ** 31 - 1;
  let fired = false;
  let slept = false;
  systemClock.setTimer(days30, () => (fired = true));
  const sleeping = systemClock.sleep(days30).then(() => (slept = true));
  t.mock.timers.tick(cap);
  t.mock.timers.tick(days30 - cap - 1);
  await Promise.resolve();
  assert.equal(fired, false);
  assert.equal(slept, false);
  t.mock.timers.tick(1);
  await sleeping;
  assert.equal(fired, true);
});
