/**
 * The progress line as a terminal would receive it, on a fake clock: what is written to a fake TTY stream and when.
 * The screen is replayed as a terminal shows it (\r back to the start, ESC[2K clears), so a test reads what a
 * person would see now, not only the bytes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgressLine, progressLineFor } from '../../src/cli/progress-line.js';
import type { ProgressEvent } from '../../src/sync/progress.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** A terminal's stream that keeps what it was given, and shows the screen's last line as it looks now. */
function fakeTty(columns = 100) {
  const writes: string[] = [];
  return {
    isTTY: true,
    columns,
    writes,
    write(text: string) {
      writes.push(text);
      return true;
    },
    /** The last line of the screen, as a terminal shows it after every write so far. */
    screen(): string {
      let line = '';
      let col = 0;
      const all = writes.join('');
      for (let i = 0; i < all.length; i++) {
        if (all.startsWith('\x1b[2K', i)) {
          line = '';
          i += 3;
        } else if (all[i] === '\r') col = 0;
        else if (all[i] === '\n') {
          line = '';
          col = 0;
        } else {
          line = line.slice(0, col) + all[i]! + line.slice(col + 1);
          col++;
        }
      }
      return line;
    },
  };
}

/** The events of a session's listing: a page of accounts, each queued for its roles. */
function listing(line: ProgressLine, accounts: number, session = 'mycorp'): void {
  const events: ProgressEvent[] = [
    { kind: 'session', session, index: 1, of: 1 },
    { kind: 'listing' },
    { kind: 'accounts', count: accounts },
    ...Array.from({ length: accounts }, (): ProgressEvent => ({ kind: 'roles-queued' })),
  ];
  for (const e of events) line.onProgress(e);
}

test('a sync shorter than a second shows nothing at all', async () => {
  const clock = new FakeClock();
  const tty = fakeTty();
  const line = new ProgressLine(tty, clock);
  listing(line, 5);
  await clock.advance(999);
  line.onProgress({ kind: 'fetched' });
  await clock.advance(10_000);
  assert.deepEqual(tty.writes, []);
  assert.deepEqual(clock.pending(), [], 'no timer is left behind');
});

test('after a second the line appears, follows the counts, and is erased when the fetching ends', async () => {
  const clock = new FakeClock();
  const tty = fakeTty();
  const line = new ProgressLine(tty, clock);
  listing(line, 1200);
  await clock.advance(999);
  assert.equal(tty.writes.length, 0, 'nothing before the second has passed');
  await clock.advance(1);
  assert.equal(tty.screen(), 'syncing mycorp: 1,200 accounts listed, roles 0/1,200 (1 s)');

  for (let i = 0; i < 430; i++) line.onProgress({ kind: 'roles-listed' });
  for (let i = 0; i < 12; i++) line.onProgress({ kind: 'throttled' });
  line.onProgress({ kind: 'retried' });
  await clock.advance(100);
  assert.equal(tty.screen(), 'syncing mycorp: 1,200 accounts listed, roles 430/1,200, 12 throttled, 1 retried (1 s)');
  // Every write rewrites the one line in place: no newline ever.
  assert.ok(tty.writes.every((w) => w.startsWith('\r\x1b[2K') && !w.includes('\n')));

  line.onProgress({ kind: 'fetched' });
  assert.equal(tty.screen(), '', 'the line is erased');
  const count = tty.writes.length;
  line.onProgress({ kind: 'roles-listed' });
  line.end();
  await clock.advance(5_000);
  assert.equal(tty.writes.length, count, 'nothing is drawn after the end');
  assert.deepEqual(clock.pending(), []);
});

test('the line is redrawn at most ten times a second, however many events come', async () => {
  const clock = new FakeClock();
  const tty = fakeTty();
  const line = new ProgressLine(tty, clock);
  listing(line, 5000);
  await clock.advance(1000);
  const before = tty.writes.length;
  // 5,000 role listings over two seconds: one every 0.4 ms.
  for (let i = 0; i < 5000; i++) {
    line.onProgress({ kind: 'roles-listed' });
    if (i % 25 === 24) await clock.advance(10);
  }
  const draws = tty.writes.length - before;
  assert.ok(draws >= 15 && draws <= 21, `${draws} redraws in two seconds`);
  assert.match(tty.screen(), /roles 5,000\/5,000 \(3 s\)$/);
  line.end();
});

test('with nothing happening, the seconds still go on, so a slow portal does not look like a hang', async () => {
  const clock = new FakeClock();
  const tty = fakeTty();
  const line = new ProgressLine(tty, clock);
  listing(line, 3);
  await clock.advance(4_000);
  assert.equal(tty.screen(), 'syncing mycorp: 3 accounts listed, roles 0/3 (4 s)');
  line.end();
});

test('a log line is written on a clean line and the progress line comes back under it', async () => {
  const clock = new FakeClock();
  const tty = fakeTty();
  const line = new ProgressLine(tty, clock);
  listing(line, 7);
  await clock.advance(1000);
  line.hide();
  tty.write('10:00:00 INFO token.refreshed ...\n');
  line.show();
  assert.deepEqual(tty.writes.slice(-3), [
    '\r\x1b[2K',
    '10:00:00 INFO token.refreshed ...\n',
    '\r\x1b[2Ksyncing mycorp: 7 accounts listed, roles 0/7 (1 s)',
  ]);
  line.end();
  // A log line after the end finds nothing to clear and nothing is drawn after it.
  const count = tty.writes.length;
  line.hide();
  line.show();
  assert.equal(tty.writes.length, count);
});

test('several sessions say which one is fetched; the counts start again for each', async () => {
  const clock = new FakeClock();
  const tty = fakeTty();
  const line = new ProgressLine(tty, clock);
  line.onProgress({ kind: 'session', session: 'alpha', index: 1, of: 2 });
  line.onProgress({ kind: 'accounts', count: 4 });
  await clock.advance(1000);
  assert.equal(tty.screen(), 'syncing alpha (1 of 2): 4 accounts listed (1 s)');
  line.onProgress({ kind: 'session', session: 'beta', index: 2, of: 2 });
  await clock.advance(100);
  assert.equal(tty.screen(), 'syncing beta (2 of 2): listing accounts (1 s)');
  line.end();
});

test('the line fits the terminal, and a session name cannot send control characters to it', async () => {
  const clock = new FakeClock();
  const tty = fakeTty(40);
  const line = new ProgressLine(tty, clock);
  listing(line, 1200, 'evil\x1b[31m\x07');
  await clock.advance(1000);
  const drawn = tty.writes.at(-1)!;
  assert.equal(drawn.slice('\r\x1b[2K'.length), 'syncing evil?[31m?: 1,200 accounts lis…');
  assert.equal(tty.screen().length, 39, 'the last column stays free, so the terminal never wraps the line');
  line.end();
});

test('no line where stderr is not a terminal, or the terminal cannot redraw a line (TERM=dumb)', () => {
  const clock = new FakeClock();
  const pipe = { ...fakeTty(), isTTY: false };
  assert.equal(progressLineFor(pipe, {}, clock), undefined);
  assert.equal(progressLineFor({ write: () => true }, {}, clock), undefined);
  assert.equal(progressLineFor(fakeTty(), { TERM: 'dumb' }, clock), undefined);
  assert.ok(progressLineFor(fakeTty(), { TERM: 'xterm-256color', NO_COLOR: '1' }, clock), 'the line has no colour');
});
