/**
 * When a read of the AWS config is trusted as whole. A program that writes in place (as `aws configure set` does)
 * truncates the file, then writes it: a read in between must never be merged on. On ext4 the truncated file shows
 * its old times for a moment, which no program can fake (setting times updates the ctime), so the judging is tested
 * here on made-up stats, and against the real kernel with a writer that truncates the file several times a second.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readConfig, readingOf, settled, type Reading } from '../../src/config-file/config-file.js';
import { tempDir } from '../helpers/temp-dir.js';

const anHourAgo = () => Date.now() - 3_600_000;
const stats = (size: number, atMs: number) => ({ size, mtimeMs: atMs, ctimeMs: atMs });

test('a read whose size moved between the stats counts as a change made now', () => {
  const old = anHourAgo();
  const now = Date.now();
  assert.equal(readingOf('abc', stats(3, old), stats(3, old)).changedMs, old, 'a still file keeps its own times');
  // The truncate landed during the read: the first stat saw the whole file, the read and the second stat an empty one.
  assert.ok(readingOf('', stats(9000, old), stats(0, old)).changedMs! >= now);
  // The file grew after the read.
  assert.ok(readingOf('abc', stats(3, old), stats(9, old)).changedMs! >= now);
});

/** A scripted file: each read returns the next reading, the last one for ever after. */
function script(...readings: Reading[]): () => Promise<Reading> {
  let i = 0;
  return async () => readings[Math.min(i++, readings.length - 1)]!;
}

test('an empty file whose times look old is watched until it is written, not merged on as empty', async () => {
  const emptied: Reading = { text: '', changedMs: anHourAgo() };
  const whole: Reading = { text: '[default]\nregion = eu-west-1\n', changedMs: anHourAgo() };
  // Empty with old times for three reads (30 ms), then written.
  const read = script(emptied, emptied, emptied, whole);
  assert.equal(await settled('config', read, await read()), whole.text);
});

test("a file that really is empty is trusted once it has stayed empty for a second by sso-sync's own clock", async () => {
  const empty: Reading = { text: '', changedMs: anHourAgo() };
  const started = Date.now();
  assert.equal(await settled('config', script(empty), empty), '');
  assert.ok(Date.now() - started >= 1_000, `watched for ${Date.now() - started} ms`);
  // Written 300 ms after it was emptied, as by \`generator > ~/.aws/config\`: the written content is read.
  const whole: Reading = { text: 'x = 1\n', changedMs: anHourAgo() };
  const written = Date.now() + 300;
  assert.equal(await settled('config', async () => (Date.now() < written ? empty : whole), empty), whole.text);
});

test('a non-empty file read twice alike with old times is trusted at once; one that never holds still is refused', async () => {
  const whole: Reading = { text: 'x = 1\n', changedMs: anHourAgo() };
  const started = Date.now();
  assert.equal(await settled('config', script(whole), whole), whole.text);
  assert.ok(Date.now() - started < 100);
  let n = 0;
  const restless = async (): Promise<Reading> => ({ text: `x = ${++n}\n`, changedMs: anHourAgo() });
  await assert.rejects(
    settled('the/config', restless, await restless()),
    /the\/config kept changing while sso-sync read it/,
  );
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
