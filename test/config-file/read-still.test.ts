/**
 * Reading the AWS config again until it holds still, for a read that may be half of another program's write: a
 * sync confirms damaged markers so before it refuses the file as damaged.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { readConfig, readStill } from '../../src/config-file/config-file.js';
import type { OpenWriter } from '../../src/fs/open-writers.js';
import { sleepingClock } from '../helpers/sleeping-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const half = '[default]\nregion = eu-west-1\n\n# BEGIN sso-sync mycorp (managed: edits inside are replaced; checksum 0';
const whole = `${half}0000000)\n[profile one]\nregion = x\n# END sso-sync mycorp\n`;
const writer: OpenWriter = { pid: 4242, command: 'writer' };

/** A config holding `text`, and its first reading. */
async function configWith(t: TestContext, text: string) {
  const file = path.join(tempDir(t, 'sso-sync-still-'), 'config');
  writeFileSync(file, text);
  return { file, first: await readConfig(file, { clock: sleepingClock(10_000), findWriters: null }) };
}

test('a file that holds still, with no program writing it, is confirmed on the first read again', async (t) => {
  const { first } = await configWith(t, half);
  const clock = sleepingClock(10_000);
  const still = await readStill(first, { clock, findWriters: () => Promise.resolve([]) });
  assert.equal(still.text, half);
  assert.equal(clock.elapsed(), 100);
});

test('a half a held-up writer leaves alike for two reads is not confirmed while it holds the file', async (t) => {
  const { file, first } = await configWith(t, half);
  let looks = 0;
  // Held up mid-write for two looks, then the rest written and the file closed.
  const findWriters = () => {
    if (++looks <= 2) return Promise.resolve([writer]);
    writeFileSync(file, whole);
    return Promise.resolve([]);
  };
  const still = await readStill(first, { clock: sleepingClock(10_000), findWriters });
  assert.equal(still.text, whole);
  assert.equal(looks, 4, 'confirmed by two reads alike with no writer between them');
});

test('a file that a program keeps open for writing past 2 s is refused as such, naming it', async (t) => {
  const { first } = await configWith(t, half);
  const clock = sleepingClock(10_000);
  await assert.rejects(
    readStill(first, { clock, findWriters: () => Promise.resolve([writer]) }),
    (e: Error & { exitCode?: number }) => {
      assert.match(e.message, /config is still open for writing by pid 4242 \(writer\) after 2 s of waiting/);
      assert.match(e.message, /nothing was written/);
      assert.equal(e.exitCode, 4);
      return true;
    },
  );
  assert.equal(clock.elapsed(), 2_000);
});

test('a file rewritten between every two reads is refused as kept changing after 2 s, not sooner', async (t) => {
  const { file, first } = await configWith(t, half);
  const clock = sleepingClock(10_000);
  let round = 0;
  const findWriters = () => {
    writeFileSync(file, `${whole}# round ${++round}\n`);
    return Promise.resolve([]);
  };
  await assert.rejects(
    readStill(first, { clock, findWriters }),
    /config kept changing while sso-sync read it \(another program is writing it many times a second\); nothing was written/,
  );
  assert.equal(clock.elapsed(), 2_000);
});
