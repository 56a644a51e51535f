/**
 * Concurrent writers: another program edits lines outside sso-sync's blocks, many times a second, while
 * `sso-sync --once` syncs a changing organisation in a loop. No edit of the other program may be lost, and the
 * file stays one the AWS CLI can read. At 2-10 writes a second every sync gets through; against a program that
 * writes hundreds of times a second a sync may give up (exit 4, nothing written), and still loses nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { generateFixture } from '../../src/emulator/fixture.js';
import { pythonAvailable, readWithPython } from '../core/python-config.js';
import { logLines, profileNames, sandbox, sessionSection, type RunResult } from '../helpers/sandbox.js';

const otherWriter = fileURLToPath(new URL('./other-writer.js', import.meta.url));
type Style = 'in-place' | 'rename' | 'append';

interface WriterReport {
  rounds: number;
  lost: string[];
  missingAtEnd: string[];
}

/** Runs `syncs` syncs while the other program writes in `style` every `pace` ms; returns what both did. */
async function storm(t: TestContext, style: Style, pace: [number, number], syncs: number) {
  // Two organisations that differ by a few profiles, so that every sync has something to write.
  const small = generateFixture({ accounts: 30, rolesPerAccount: 2 });
  const large = generateFixture({ accounts: 34, rolesPerAccount: 2 });
  const box = await sandbox({ fixture: small });
  t.after(() => box.close());
  box.writeConfig(`[profile other]\nregion = eu-west-1\ncounter = 0\n\n${sessionSection()}\n`);
  box.signIn();
  assert.equal((await box.run(['--once'])).code, 0);
  // A section of the other program's after sso-sync's block too.
  box.writeConfig(`${readFileSync(box.configFile, 'latin1')}\n[profile tail]\ntail_counter = 0\n`);

  const writer = spawn(process.execPath, [otherWriter, box.configFile, style, String(pace[0]), String(pace[1])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => void writer.kill('SIGKILL'));
  let report = '';
  writer.stdout.setEncoding('utf8').on('data', (d: string) => (report += d));
  const exited = new Promise<number | null>((resolve) => writer.on('close', resolve));

  const runs: RunResult[] = [];
  for (let i = 0; i < syncs; i++) {
    box.emulator.setFixture(i % 2 === 0 ? large : small);
    runs.push(await box.run(['--once']));
  }
  writer.kill('SIGTERM');
  assert.equal(await exited, 0);
  const result = JSON.parse(report) as WriterReport;
  const wrote = runs.filter((r) =>
    logLines(r.stdout).some((l) => l.event === 'profile.added' || l.event === 'profile.removed'),
  ).length;
  const raced = runs.filter((r) => logLines(r.stdout).some((l) => l.event === 'config.raced')).length;
  t.diagnostic(
    `${result.rounds} edits by the other program; ${wrote} of ${syncs} syncs wrote, ${raced} of them after finding a change at the last moment`,
  );
  // It edited all along: at least a few edits per second of the storm (its pace), whatever the syncs' speed.
  assert.ok(result.rounds >= Math.max(3, syncs / 4), `the other program kept editing (${result.rounds} rounds)`);
  assert.deepEqual(result.lost, [], 'no edit of the other program went missing while it ran');
  assert.deepEqual(result.missingAtEnd, [], 'every edit is in the final file');

  // After the storm: one more sync repairs whatever the other program wrote over, and the AWS CLI reads the file.
  box.emulator.setFixture(large);
  assert.equal((await box.run(['--once'])).code, 0);
  const names = profileNames(readFileSync(box.configFile, 'latin1')).filter((n) => n !== 'other' && n !== 'tail');
  assert.equal(names.length, 68);
  assert.ok(pythonAvailable(), 'python3 is needed to read the file as the AWS CLI does');
  const parsed = readWithPython([box.configFile])[box.configFile]!;
  assert.ok(parsed.ok, `the AWS CLI's parser reads the file: ${JSON.stringify(parsed)}`);
  assert.deepEqual(Object.keys(parsed.profiles).sort(), [...names, 'other', 'tail'].sort());
  return { runs, wrote };
}

for (const style of ['in-place', 'rename', 'append'] as const) {
  test(`another program writing ${style} every 100-500 ms while sso-sync syncs 20 times: every sync succeeds, none of its edits is lost`, async (t) => {
    const { runs, wrote } = await storm(t, style, [100, 500], 20);
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    if (style === 'append') assert.equal(wrote, 20, 'every sync wrote the file');
    // A program that reads the file, then writes it whole, puts back sso-sync's block as it read it when its read
    // and its write straddle a sync's rename; the next sync then finds the block it would write already there, and
    // writes nothing. Measured: 4 syncs of 1,200 against a program renaming 8 times a second (bench/writers.ts).
    else assert.ok(wrote >= 18, `${wrote} of 20 syncs wrote the file`);
  });
}

for (const style of ['in-place', 'rename'] as const) {
  test(`another program hammering the file (${style}, every 1-5 ms): a sync may give up, but none of its edits is lost`, async (t) => {
    const { runs } = await storm(t, style, [1, 5], 4);
    for (const run of runs) {
      if (run.code === 0) continue;
      assert.equal(run.code, 4, run.stderr);
      assert.match(
        run.stderr,
        /kept changing while sso-sync (?:(?:read|tried to write) it[^\n]*nothing was written|wrote it: the profiles are written)/,
      );
    }
  });
}
