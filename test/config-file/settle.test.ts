/**
 * When a read of the AWS config is trusted as whole. A program that writes in place (as `aws configure set` does)
 * truncates the file, then writes it: a read in between must never be merged on. On ext4 the truncated file shows
 * its old times for a moment, which no program can fake (setting times updates the ctime), so the judging is tested
 * here on made-up stats, and against the real kernel with a writer that truncates the file several times a second.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readConfig, readingOf, settled, type Reading } from '../../src/config-file/config-file.js';
import { holds } from '../../src/config-file/settle.js';
import { sleepingClock } from '../helpers/sleeping-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const stats = (size: number, atMs: number) => ({ size, mtimeMs: atMs, ctimeMs: atMs });

test('a read whose size moved between the stats counts as a change made now', () => {
  const clock = sleepingClock();
  const old = clock.now() - 3_600_000;
  assert.equal(
    readingOf('abc', stats(3, old), stats(3, old), clock).changedMs,
    old,
    'a still file keeps its own times',
  );
  // The truncate landed during the read: the first stat saw the whole file, the read and the second stat an empty one.
  assert.equal(readingOf('', stats(9000, old), stats(0, old), clock).changedMs, clock.now());
  // The file grew after the read.
  assert.equal(readingOf('abc', stats(3, old), stats(9, old), clock).changedMs, clock.now());
  // Without a clock given, the system clock's now.
  const before = Date.now();
  assert.ok(readingOf('abc', stats(3, old), stats(9, old)).changedMs! >= before);
});

test('a read whose text is not the size the stats saw (rewritten between two pieces of the read) is a change now', () => {
  const clock = sleepingClock();
  const old = clock.now() - 3_600_000;
  // The old content's start, then the new content's end: both stats saw 9 bytes, the text has 5.
  const mixed = readingOf('abc\nd', stats(9, old), stats(9, old), clock);
  assert.equal(mixed.changedMs, clock.now());
  assert.equal(mixed.stamp, undefined, 'nothing to compare a later stat with');
});

/** A scripted file: each read returns the next reading, the last one for ever after. */
function script(...readings: Reading[]): () => Promise<Reading> {
  let i = 0;
  return () => Promise.resolve(readings[Math.min(i++, readings.length - 1)]!);
}

test('an empty file whose times look old is watched until it is written, not merged on as empty', async () => {
  const clock = sleepingClock();
  const anHourAgo = clock.now() - 3_600_000;
  const emptied: Reading = { text: '', changedMs: anHourAgo };
  const whole: Reading = { text: '[default]\nregion = eu-west-1\n', changedMs: anHourAgo };
  // Empty with old times for three reads (30 ms), then written.
  const read = script(emptied, emptied, emptied, whole);
  assert.equal(await settled('config', read, await read(), clock), whole.text);
  assert.ok(clock.elapsed() < 1_000, `trusted once written, not a second later (${clock.elapsed()} ms)`);
});

test("a file that really is empty is trusted once it has stayed empty for a second by sso-sync's own clock", async () => {
  const clock = sleepingClock();
  const anHourAgo = clock.now() - 3_600_000;
  const empty: Reading = { text: '', changedMs: anHourAgo };
  assert.equal(await settled('config', script(empty), empty, clock), '');
  assert.ok(clock.elapsed() >= 1_000, `watched for ${clock.elapsed()} ms`);
  assert.ok(clock.elapsed() < 1_100, `trusted soon after the second (${clock.elapsed()} ms)`);
  // Written 300 ms after it was emptied, as by \`generator > ~/.aws/config\`: the written content is read.
  const whole: Reading = { text: 'x = 1\n', changedMs: anHourAgo };
  const written = clock.now() + 300;
  const read = () => Promise.resolve(clock.now() < written ? empty : whole);
  assert.equal(await settled('config', read, empty, clock), whole.text);
});

test('a non-empty file read twice alike with old times is trusted at once; one that never holds still is refused', async () => {
  const clock = sleepingClock();
  const anHourAgo = clock.now() - 3_600_000;
  const whole: Reading = { text: 'x = 1\n', changedMs: anHourAgo };
  assert.equal(await settled('config', script(whole), whole, clock), whole.text);
  assert.ok(clock.elapsed() < 100, `trusted after ${clock.elapsed()} ms`);
  let n = 0;
  const restless = (): Promise<Reading> => Promise.resolve({ text: `x = ${++n}\n`, changedMs: anHourAgo });
  const started = clock.now();
  await assert.rejects(
    settled('the/config', restless, await restless(), clock),
    /the\/config kept changing while sso-sync read it/,
  );
  assert.ok(clock.now() - started >= 2_000, `refused after trying for ${clock.now() - started} ms, not sooner`);
});

test('a file changed a moment ago is read again until it holds still, on the clock given to readConfig', async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-settle-'), 'config');
  writeFileSync(file, 'x = 1\n');
  // Just written: by the file's own times it has not been left alone for 100 ms yet at the clock's start. Open
  // writers are not looked for here, as on a system where they cannot be seen: the times alone decide.
  const clock = sleepingClock();
  assert.equal((await readConfig(file, { clock, findWriters: null })).text, 'x = 1\n');
  assert.ok(clock.elapsed() > 0, "it waited on sso-sync's clock before reading again");
  assert.ok(clock.elapsed() <= 110, `and trusted once quiet for 100 ms (${clock.elapsed()} ms)`);
});

test('where open writers can be seen, a file changed a moment ago that no program holds is trusted at once', async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-settle-'), 'config');
  writeFileSync(file, 'x = 1\n');
  const clock = sleepingClock();
  const asked: string[] = [];
  const findWriters = (p: string) => {
    asked.push(p);
    return Promise.resolve([]);
  };
  assert.equal((await readConfig(file, { clock, findWriters })).text, 'x = 1\n');
  assert.equal(clock.elapsed(), 0, 'no wait');
  assert.equal(asked.length, 1, 'the writers were looked for once');
});

test('a file changed a moment ago that a program holds open for writing is read again until it lets go', async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-settle-'), 'config');
  writeFileSync(file, 'x = 1\n');
  const clock = sleepingClock();
  let calls = 0;
  // Held for the first 5 looks (a program between its truncation and its last byte), then closed.
  const findWriters = () => Promise.resolve(++calls <= 5 ? [{ pid: 4242, command: 'writer' }] : []);
  // The times say "changed just now" for as long as the test runs: only the writer's going decides.
  const now = Date.now();
  utimesSync(file, new Date(now + 60_000), new Date(now + 60_000));
  assert.equal((await readConfig(file, { clock, findWriters })).text, 'x = 1\n');
  assert.equal(calls, 6, 'trusted at the first look that found no writer');
  assert.ok(clock.elapsed() >= 50, `it read again while the file was held (${clock.elapsed()} ms)`);
});

test('against the kernel: a program truncating and rewriting the file in place several times a second is never read empty', async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-settle-'), 'config');
  const whole = `[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n${'# padding\n'.repeat(800)}`;
  writeFileSync(file, whole);
  // The concurrent-writers suite's other program, in place, every 100-150 ms: quiet spells long enough to trust a
  // read, and a truncate at the end of each. On SIGTERM it prints what it did as one JSON line.
  const writer = spawn(
    process.execPath,
    [fileURLToPath(new URL('../concurrent/other-writer.js', import.meta.url)), file, 'in-place', '100', '150'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let report = '';
  writer.stdout.setEncoding('utf8').on('data', (d: string) => (report += d));
  const exited = new Promise<number | null>((resolve) => writer.on('close', resolve));
  t.after(() => void writer.kill('SIGKILL'));
  let reads = 0;
  const wrong: number[] = [];
  for (const end = Date.now() + 5_000; Date.now() < end; reads++) {
    const { text } = await readConfig(file);
    // The file has none of the lines the writer changes, so every round writes the same bytes back: a read must
    // always return the whole of them, never an emptied or half-written file.
    if (text !== whole) wrong.push(text?.length ?? -1);
  }
  writer.kill('SIGTERM');
  assert.equal(await exited, 0, 'the writer ran to its end');
  const { rounds } = JSON.parse(report) as { rounds: number };
  t.diagnostic(`${reads} reads while the file was truncated and rewritten ${rounds} times`);
  assert.ok(rounds >= 20, `the writer truncated and rewrote the file only ${rounds} times`);
  assert.ok(reads > 100, `the reads kept going (${reads})`);
  assert.deepEqual(wrong, [], 'no read returned an emptied or half-written file');
});

test('a read caught mid-write whose writer lets go before the look for writers is read again, not trusted', async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-settle-'), 'config');
  const whole = `[profile other]\nregion = eu-west-1\n\n${'# a long comment\n'.repeat(300)}[profile last]\nregion = x\n`;
  writeFileSync(file, whole);
  // Another program rewrites the file in place: truncated, and the first half written when sso-sync reads it...
  const writer = openSync(file, 'w');
  let closed = false;
  t.after(() => {
    if (!closed) closeSync(writer);
  });
  writeSync(writer, whole.slice(0, whole.length / 2));
  // ...and the rest written, and the file closed, just before sso-sync looks for open writers: none is seen.
  const findWriters = () => {
    if (!closed) {
      writeSync(writer, whole.slice(whole.length / 2));
      closeSync(writer);
      closed = true;
    }
    return Promise.resolve([]);
  };
  assert.equal((await readConfig(file, { clock: sleepingClock(), findWriters })).text, whole);
});

test('the content check before and after the rename tells a file byte for byte, over pieces of any size', async (t) => {
  const dir = tempDir(t, 'sso-sync-holds-');
  const file = path.join(dir, 'config');
  // Every byte value, over more than one piece of the check (256 KiB each), as a byte string.
  const text = Buffer.from(Array.from({ length: 600 * 1024 }, (_, i) => (i * 7) % 256)).toString('latin1');
  const check = async (content: string, expected: string) => {
    writeFileSync(file, Buffer.from(content, 'latin1'));
    const handle = await open(file, 'r');
    try {
      return await holds(handle, expected);
    } finally {
      await handle.close();
    }
  };
  assert.equal(await check(text, text), true);
  assert.equal(await check('', ''), true);
  for (const at of [0, 256 * 1024 - 1, 256 * 1024, 400_000, text.length - 1]) {
    const changed = text.slice(0, at) + String.fromCharCode((text.charCodeAt(at) + 1) % 256) + text.slice(at + 1);
    assert.equal(await check(changed, text), false, `a byte changed at ${at}`);
  }
  assert.equal(await check(text.slice(0, -1), text), false, 'the file one byte shorter');
  assert.equal(await check(`${text}x`, text), false, 'the file one byte longer');
  assert.equal(await check(text, ''), false, 'a file where none was expected to hold anything');
});
