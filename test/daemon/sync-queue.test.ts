/** The daemon's sync queue on a fake clock: one sync at a time, requests merged, retries with backoff. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SyncQueue, type SyncJob, type SyncResult } from '../../src/daemon/sync-queue.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { recordingLog } from './harness.js';

function queue(results: SyncResult[] = [], options: { syncMs?: number; nextRunMs?: number } = {}) {
  const clock = new FakeClock();
  const { log, lines } = recordingLog();
  const runs: {
    at: number;
    job: { all: boolean; sessions: string[]; reason: string; fullAll: boolean; full: string[] };
  }[] = [];
  let running = 0;
  let most = 0;
  const q = new SyncQueue({
    clock,
    log,
    run: async (job: SyncJob) => {
      runs.push({ at: clock.now(), job: { ...job, sessions: [...job.sessions], full: [...job.full] } });
      most = Math.max(most, ++running);
      await clock.sleep(options.syncMs ?? 0);
      running--;
      return results.shift() ?? 'done';
    },
    nextRun: () => (options.nextRunMs === undefined ? undefined : new Date(clock.now() + options.nextRunMs)),
  });
  return { q, clock, runs, lines, most: () => most };
}

test('requests during a sync are merged into one sync right after it: of everything if any asked for everything', async () => {
  const { q, clock, runs, most } = queue([], { syncMs: 1000 });
  q.request('start');
  q.request('sign-in', 'a');
  q.request('sign-in', 'b');
  q.request('sign-in', 'a');
  await clock.advance(1000);
  q.request('sign-in', 'c');
  q.request('settings');
  await clock.advance(10_000);
  const scan = { fullAll: false, full: [] };
  assert.deepEqual(runs, [
    { at: runs[0]!.at, job: { all: true, sessions: [], reason: 'start', ...scan } },
    { at: runs[0]!.at + 1000, job: { all: false, sessions: ['a', 'b'], reason: 'sign-in', ...scan } },
    { at: runs[0]!.at + 2000, job: { all: true, sessions: ['c'], reason: 'sign-in', ...scan } },
  ]);
  assert.equal(most(), 1, 'never two at once');
});

test('a full scan asked for by any merged request is kept: for its session, or for all', async () => {
  const { q, clock, runs } = queue([], { syncMs: 1000 });
  q.request('start');
  q.request('sign-in', 'a', 'full');
  q.request('sign-in', 'b');
  await clock.advance(1000);
  q.request('schedule');
  q.request('SIGHUP', undefined, 'full');
  q.request('sign-in', 'c', 'full');
  await clock.advance(10_000);
  assert.deepEqual(
    runs.map((r) => [r.job.reason, r.job.fullAll, r.job.full]),
    [
      ['start', false, []],
      ['sign-in', false, ['a']],
      ['schedule', true, ['c']],
    ],
  );
});

test('a failure is retried after 30 s, 60 s, 120 s…, up to 15 minutes; a success starts the steps again', async () => {
  const results: SyncResult[] = [...Array.from({ length: 8 }, () => 'retry' as const), 'done', 'retry'];
  const { q, clock, runs, lines } = queue(results);
  q.request('start');
  await clock.advance(24 * 3600_000);
  const gaps = runs.slice(1).map((r, i) => (r.at - runs[i]!.at) / 1000);
  assert.deepEqual(gaps, [30, 60, 120, 240, 480, 900, 900, 900]);
  assert.equal(runs.length, 9, 'no retry after the success');
  q.request('schedule');
  await clock.advance(30_000);
  assert.equal(runs.length, 11);
  assert.equal(runs.at(-1)!.at - runs.at(-2)!.at, 30_000);
  assert.deepEqual(
    lines.filter((l) => l.event === 'sync.retry_scheduled').map((l) => l.failures),
    [1, 2, 3, 4, 5, 6, 7, 8, 1],
  );
});

test('a retry is not set when the next scheduled run comes sooner; a sync that runs meanwhile replaces it', async () => {
  const late = queue(['retry'], { nextRunMs: 30_000 });
  late.q.request('start');
  await late.clock.advance(3600_000);
  assert.equal(late.runs.length, 1);
  assert.equal(late.lines.filter((l) => l.event === 'sync.retry_scheduled').length, 0);

  const { q, clock, runs } = queue(['retry']);
  q.request('start');
  await clock.advance(10_000);
  q.request('sign-in', 'a'); // runs now, and its success cancels the retry
  await clock.advance(3600_000);
  assert.deepEqual(
    runs.map((r) => r.job.reason),
    ['start', 'sign-in'],
  );
});

test('after stop, no request is taken and no retry runs; idle waits for the sync in progress', async () => {
  const { q, clock, runs } = queue(['retry'], { syncMs: 1000 });
  q.request('start');
  q.request('settings');
  let idle = false;
  void q.idle().then(() => (idle = true));
  await clock.advance(500);
  q.stop();
  q.request('sign-in', 'a');
  await clock.advance(499);
  assert.equal(idle, false);
  await clock.advance(1);
  assert.equal(idle, true);
  await clock.advance(3600_000);
  assert.deepEqual(
    runs.map((r) => r.job.reason),
    ['start'],
  );
});

test('a sync that ran nothing (cancelled, or no session left) neither sets a retry nor resets the backoff', async () => {
  const { q, clock, runs } = queue(['retry', 'nothing', 'retry']);
  q.request('start');
  await clock.advance(100_000);
  q.request('schedule');
  await clock.advance(3600_000);
  // The start fails (retry in 30 s); the retry runs nothing; the next failure is the second in a row: 60 s.
  assert.deepEqual(
    runs.map((r) => (r.at - runs[0]!.at) / 1000),
    [0, 30, 100, 160],
  );
});
