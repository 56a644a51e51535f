/** Pacing and retries of portal calls, on a fake clock: no waiting, exact times. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RetryErrorInfo } from '@smithy/types';
import type { Clock } from '../../src/clock/clock.js';
import { AdaptivePacer } from '../../src/aws/pacer.js';
import { PacedRetryStrategy } from '../../src/aws/retry-strategy.js';
import { mapBounded } from '../../src/sync/bounded.js';

function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    setTimer: () => assert.fail('pacing sets no timer'),
  };
}

const throttle: RetryErrorInfo = { errorType: 'THROTTLING' };
const serverError: RetryErrorInfo = { errorType: 'SERVER_ERROR' };

test('unpaced until the first throttle, then paced below the rate that was being sent', async () => {
  const clock = fakeClock();
  const pacer = new AdaptivePacer(clock);
  const sent: number[] = [];
  for (let i = 0; i < 50; i++) sent.push(await pacer.acquire());
  assert.deepEqual(clock.slept, [], 'no waiting before any throttle');
  pacer.onThrottle(sent.at(-1)!);
  const rate = pacer.stats().rate!;
  assert.ok(rate > 0 && rate < 50, `rate ${rate}`);
  const t0 = clock.now();
  for (let i = 0; i < 10; i++) await pacer.acquire();
  const spent = clock.now() - t0;
  assert.ok(Math.abs(spent - (9 * 1000) / rate) < 1000 / rate + 1, `10 requests took ${spent} ms at ${rate}/s`);
});

test('throttles of requests sent before the last decrease do not lower the rate again', async () => {
  const clock = fakeClock();
  const pacer = new AdaptivePacer(clock);
  const early = await pacer.acquire();
  for (let i = 0; i < 40; i++) await pacer.acquire();
  pacer.onThrottle(await pacer.acquire());
  const after = pacer.stats().rate;
  await clock.sleep(10);
  pacer.onThrottle(early);
  assert.equal(pacer.stats().rate, after);
  assert.equal(pacer.stats().throttled, 2);
});

test('success raises the paced rate a little', async () => {
  const clock = fakeClock();
  const pacer = new AdaptivePacer(clock);
  pacer.onThrottle(await pacer.acquire());
  const before = pacer.stats().rate!;
  for (let i = 0; i < 20; i++) pacer.onSuccess();
  assert.ok(pacer.stats().rate! > before);
});

test('the retry strategy retries throttling up to its own budget and server errors up to theirs', async () => {
  const clock = fakeClock();
  const strategy = new PacedRetryStrategy(new AdaptivePacer(clock), clock, { random: () => 1 });
  let token = await strategy.acquireInitialRetryToken();
  for (let i = 1; i < 30; i++) token = await strategy.refreshRetryTokenForRetry(token, throttle);
  await assert.rejects(strategy.refreshRetryTokenForRetry(token, throttle), /out of attempts/);

  let t = await strategy.acquireInitialRetryToken();
  for (let i = 1; i < 5; i++) t = await strategy.refreshRetryTokenForRetry(t, serverError);
  await assert.rejects(strategy.refreshRetryTokenForRetry(t, serverError), /out of attempts/);
  await assert.rejects(
    strategy.refreshRetryTokenForRetry(await strategy.acquireInitialRetryToken(), { errorType: 'CLIENT_ERROR' }),
    /not retryable/,
  );
});

test('backoff grows exponentially to its cap and honours a Retry-After hint', async () => {
  const clock = fakeClock();
  const strategy = new PacedRetryStrategy(new AdaptivePacer(clock, { minRate: 1000 }), clock, {
    random: () => 1,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    maxAttempts: 10,
  });
  let token = await strategy.acquireInitialRetryToken();
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    const before = clock.slept.length;
    token = await strategy.refreshRetryTokenForRetry(token, serverError);
    delays.push(clock.slept[before]!);
  }
  assert.deepEqual(delays.slice(0, 4), [100, 200, 400, 800]);
  const hinted = await strategy.refreshRetryTokenForRetry(await strategy.acquireInitialRetryToken(), {
    errorType: 'TRANSIENT',
    retryAfterHint: new Date(clock.now() + 700),
  });
  assert.ok(hinted.getRetryCount() === 1);
  assert.ok(clock.slept.includes(700));
});

test('bounded concurrency: never more than the limit in flight, the first failure stops new work', async () => {
  let inFlight = 0;
  let max = 0;
  const started: number[] = [];
  const results = await mapBounded([...Array(20).keys()], 3, async (i) => {
    inFlight++;
    max = Math.max(max, inFlight);
    await new Promise((r) => setTimeout(r, 2));
    inFlight--;
    return i * 2;
  });
  assert.equal(max, 3);
  assert.deepEqual(
    results,
    [...Array(20).keys()].map((i) => i * 2),
  );
  await assert.rejects(
    mapBounded([...Array(20).keys()], 2, async (i) => {
      started.push(i);
      await new Promise((r) => setTimeout(r, 1));
      if (i === 3) throw new Error('boom');
      return i;
    }),
    /boom/,
  );
  assert.ok(started.length < 20, `work stopped after the failure (${started.length} started)`);
});

test('with a maximum rate, requests are paced from the first one and never faster, even after many successes', async () => {
  const clock = fakeClock();
  const pacer = new AdaptivePacer(clock, { maxRate: 4 });
  const sent: number[] = [];
  for (let i = 0; i < 9; i++) {
    sent.push(await pacer.acquire());
    pacer.onSuccess();
  }
  assert.deepEqual(
    sent.map((t) => t - sent[0]!),
    [0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000],
  );
  assert.equal(pacer.stats().rate, 4);
  // A throttle still lowers it.
  pacer.onThrottle(await pacer.acquire());
  assert.ok(pacer.stats().rate! < 4);
});
