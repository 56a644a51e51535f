/**
 * Another program writing the AWS config while sso-sync syncs it in a loop, counted over many syncs: how many
 * syncs wrote, how many gave up (exit 4, nothing written), and how many of the other program's edits were lost.
 * Figures for the README's Limits, not assertions: `npm run bench:writers [-- SYNCS]`.
 *
 * Each case runs whole syncs in this process (the real SDK against the emulator, the real writer) while the
 * concurrent-writers suite's other program (test/concurrent/other-writer.ts) edits lines of its own, by rename or
 * in place, at a given rate. The organisation alternates between two sizes, so every sync has something to write.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateFixture } from '../src/emulator/fixture.js';
import { startEmulator } from '../src/emulator/server.js';
import { runOnce } from '../src/sync/run-once.js';
import { signInHome, syncDeps } from '../test/helpers/in-process.js';
import { sessionSection } from '../test/helpers/sandbox.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';

const otherWriter = fileURLToPath(new URL('../test/concurrent/other-writer.js', import.meta.url));

interface CaseResult {
  style: string;
  pace: string;
  syncs: number;
  wrote: number;
  gaveUp: number;
  /** Syncs that wrote but said another program's change at the same moment may be missing (exit 4, saved). */
  writtenMissing: number;
  failedOther: number;
  edits: number;
  lost: number;
  seconds: number;
}

/** The edits (rounds) the lost lines belong to: each round changes its counters and adds one line of its own. */
function lostRounds(lines: readonly string[]): number {
  return new Set(lines.map((l) => /= (\d+)$/.exec(l)?.[1] ?? l)).size;
}

async function runCase(style: 'rename' | 'in-place', pace: [number, number], syncs: number): Promise<CaseResult> {
  const small = generateFixture({ accounts: 30, rolesPerAccount: 2 });
  const large = generateFixture({ accounts: 34, rolesPerAccount: 2 });
  const emulator = await startEmulator({ fixture: small });
  const home = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-bench-writers-'));
  try {
    process.env.AWS_ENDPOINT_URL_SSO = emulator.url;
    const config = path.join(home, '.aws', 'config');
    mkdirSync(path.dirname(config), { recursive: true });
    writeFileSync(config, `[profile other]\nregion = eu-west-1\ncounter = 0\n\n${sessionSection()}\n`);
    await signInHome(emulator, home, 'mycorp');
    const request = { sessions: [], dryRun: false, allowMassRemoval: false, settingsFile: undefined };
    await runOnce(syncDeps(home), request);
    writeFileSync(config, `${readFileSync(config, 'latin1')}\n[profile tail]\ntail_counter = 0\n`, 'latin1');

    const writer = spawn(process.execPath, [otherWriter, config, style, String(pace[0]), String(pace[1])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let report = '';
    writer.stdout.setEncoding('utf8').on('data', (d: string) => (report += d));
    const exited = new Promise<void>((resolve) => writer.on('close', () => resolve()));
    const started = performance.now();
    let wrote = 0;
    let gaveUp = 0;
    let writtenMissing = 0;
    let failedOther = 0;
    for (let i = 0; i < syncs; i++) {
      emulator.setFixture(i % 2 === 0 ? large : small);
      try {
        const result = await runOnce(syncDeps(home), request);
        if (result.written) wrote++;
      } catch (error) {
        const e = error as { exitCode?: number; message?: string };
        if (e.exitCode === 4 && String(e.message).includes('the profiles are written')) writtenMissing++;
        else if (e.exitCode === 4) gaveUp++;
        else {
          failedOther++;
          if (failedOther === 1) process.stderr.write(`a sync failed otherwise: ${String(e.message)}\n`);
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;
    writer.kill('SIGTERM');
    await exited;
    const { rounds, lost, missingAtEnd } = JSON.parse(report) as {
      rounds: number;
      lost: string[];
      missingAtEnd: string[];
    };
    const paceText = `every ${pace[0]}-${pace[1]} ms`;
    return {
      style,
      pace: paceText,
      syncs,
      wrote,
      gaveUp,
      writtenMissing,
      failedOther,
      edits: rounds,
      lost: lostRounds([...lost, ...missingAtEnd]),
      seconds,
    };
  } finally {
    await emulator.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

const syncs = Number(process.argv[2] ?? 300);
const only = process.argv[3];
// The last case writes every 5-15 ms, where most syncs give up after 2 s of trying: a fifth of the syncs is enough.
const all: ['rename' | 'in-place', [number, number], number][] = [
  ['rename', [100, 150], 1],
  ['in-place', [100, 150], 1],
  ['rename', [40, 60], 1],
  ['in-place', [40, 60], 1],
  ['in-place', [5, 15], 0.2],
];
// `-- 300 in-place` runs only the cases of that style.
const cases = all.filter(([style]) => only === undefined || style === only);
process.stdout.write(
  `Concurrent writers: ${syncs} syncs per case, in process, while another program edits the config\n\n`,
);
process.stdout.write(
  '| other program | syncs | wrote | gave up (exit 4) | wrote, a change may be missing (exit 4) | ' +
    'other failures | its edits | edits lost | time |\n',
);
process.stdout.write('| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n');
for (const [style, pace, share] of cases) {
  const r = await runCase(style, pace, Math.max(1, Math.round(syncs * share)));
  process.stdout.write(
    `| ${r.style}, ${r.pace} | ${r.syncs} | ${r.wrote} | ${r.gaveUp} | ${r.writtenMissing} | ${r.failedOther} | ${r.edits} | ${r.lost} | ${r.seconds.toFixed(0)} s |\n`,
  );
}
