/**
 * Crash safety: a writer killed with SIGKILL at random moments, 200 times. After every kill the AWS config is
 * exactly one of the whole contents, never a part; the next writer takes over the dead one's lock at once; and no
 * temp file outlives the next write.
 *
 * The kill delays come from a seeded generator: the seed is printed, and CRASH_SEED=N replays the same delays
 * (the writer's own timing still varies from run to run, so a replay makes a failure likely, not certain).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../src/emulator/fixture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { contents } from './fixtures/contents.js';

const writer = fileURLToPath(new URL('./fixtures/writer.js', import.meta.url));
const kills = 200;

/** The seed of this run's kill delays: CRASH_SEED when given (to replay a failure), else a new one. */
function crashSeed(): number {
  const given = process.env.CRASH_SEED;
  if (given === undefined || given === '') return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(given);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`CRASH_SEED must be a whole number, not ${given}`);
  return seed;
}

function runWriter(file: string, killAfterMs: number | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, file, ...(killAfterMs === undefined ? ['once'] : [])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.once('data', () => {
      if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (killAfterMs === undefined && code !== 0) reject(new Error(`the last writer exited with ${code ?? signal}`));
      else resolve();
    });
  });
}

test(
  `a writer killed with SIGKILL ${kills} times never leaves a partial config, a stuck lock, or lasting temp files`,
  { timeout: 600_000 },
  async (t) => {
    const seed = crashSeed();
    const random = seededRandom(seed);
    // Printed first, so that it is in the output whatever fails below.
    t.diagnostic(`kill delays from seed ${seed}; replay with CRASH_SEED=${seed}`);
    process.stderr.write(`crash test: seed ${seed} (replay with CRASH_SEED=${seed})\n`);
    const dir = tempDir(t, 'sso-sync-crash-');
    const file = path.join(dir, 'config');
    writeFileSync(file, contents.initial);
    const whole = new Set([contents.initial, contents.a, contents.b]);
    let tempsSeen = 0;
    let lockLeft = 0;
    let changes = 0;
    let previous = contents.initial;
    for (let i = 0; i < kills; i++) {
      await runWriter(file, Math.floor(random() * 120));
      const now = readFileSync(file, 'latin1');
      assert.ok(
        whole.has(now),
        `after kill ${i + 1} the config is not one of the whole contents (${now.length} bytes)`,
      );
      if (now !== previous) changes++;
      previous = now;
      const names = readdirSync(dir);
      const temps = names.filter((n) => n.endsWith('.tmp'));
      assert.ok(
        temps.length <= 1,
        `after kill ${i + 1}: ${temps.length} temp files (the next write removes a dead writer's)`,
      );
      tempsSeen += temps.length;
      if (names.includes('config.sso-sync.lock')) lockLeft++;
    }
    // One more writer, left to finish: it takes over any lock and removes any temp file the last kill left.
    await runWriter(file, undefined);
    assert.deepEqual(readdirSync(dir).sort(), ['config']);
    assert.ok(whole.has(readFileSync(file, 'latin1')));
    t.diagnostic(
      `${kills} kills: ${changes} changed the file, ${tempsSeen} left a temp file, ${lockLeft} left the lock held by a dead writer`,
    );
    // The kills must really land inside writes, or this test would prove nothing.
    assert.ok(
      tempsSeen + lockLeft >= kills / 10,
      `only ${tempsSeen + lockLeft} of ${kills} kills landed inside a write`,
    );
    assert.ok(changes >= kills / 10, `only ${changes} kills came after a completed write`);
  },
);
