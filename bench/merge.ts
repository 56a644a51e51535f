/**
 * The merge benchmarks (section 3 of `npm run bench`; alone: `npm run build && node dist/bench/merge.js`). Each run
 * is a process of its own (merge-child.ts), started cold as `sso-sync --once` is, so that its peak RSS is its own.
 * A sync here is what `sso-sync --once` does after the fetch: read the file, scan it, plan, write it atomically,
 * and read the result again for a section or key given twice. Figures from one run, on whatever else the machine
 * is doing: the median of several processes, with the range.
 */
import { median } from './bench-kit.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const mergeChild = fileURLToPath(new URL('./merge-child.js', import.meta.url));

/** What one merge-child process reports; times in ms, one per round. */
interface MergeRun {
  profiles: number;
  inputBytes: number;
  outputBytes: number;
  write: number[];
  unchanged: number[];
  peakRssMb: number;
}

function runChild(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

const mergeRun = async (profiles: number, configMb: number, rounds: number): Promise<MergeRun> =>
  JSON.parse(await runChild([mergeChild, String(profiles), String(configMb), String(rounds)])) as MergeRun;

/** The peak RSS of a node process that only starts and ends, in MB. */
async function bareRssMb(): Promise<number> {
  return Number(await runChild(['-e', 'console.log(process.resourceUsage().maxRSS / 1024)']));
}

const ms = (x: number) => `${x.toFixed(0)} ms`;
/** The median of some figures, with their range. */
const spread = (xs: readonly number[]) =>
  `${ms(median(xs))} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** 10,000 profiles into a 1.5 MB config, each process new: its first sync and its second. */
async function coldSyncs(bare: number): Promise<void> {
  const runs: MergeRun[] = [];
  for (let i = 0; i < 5; i++) runs.push(await mergeRun(10_000, 1.5, 1));
  const { inputBytes, outputBytes } = runs[0]!;
  const peak = Math.max(...runs.map((r) => r.peakRssMb));
  console.log(`   10,000 profiles into a ${mb(inputBytes)} config (${mb(outputBytes)} after), 5 new processes:`);
  console.log(`     first sync (10,000 profiles added, written):   ${spread(runs.map((r) => r.write[0]!))}`);
  console.log(`     second sync (no change, nothing written):      ${spread(runs.map((r) => r.unchanged[0]!))}`);
  console.log(
    `     peak RSS of the process (the larger of 5):      ${peak.toFixed(0)} MB (bare node: ${bare.toFixed(0)} MB)`,
  );
}

/** The same syncs over and over in one process: the later rounds, once V8 has optimised the code. */
async function warmSyncs(): Promise<void> {
  const run = await mergeRun(10_000, 1.5, 8);
  console.log(
    '   the same, 8 rounds in one process, rounds 4 to 8 (the code optimised, as in a long-running process):',
  );
  console.log(`     first sync: ${spread(run.write.slice(3))}; second sync: ${spread(run.unchanged.slice(3))}`);
}

/** Growth with the number of profiles, into the same 1.5 MB config: the time per profile at each size. */
async function growth(): Promise<void> {
  console.log('   growth with the profiles, into the 1.5 MB config (median of rounds 3 to 6 of one process each):');
  const times: { n: number; write: number; unchanged: number }[] = [];
  for (const n of [0, 1_000, 10_000, 50_000]) {
    const run = await mergeRun(n, 1.5, 6);
    const [write, unchanged] = [median(run.write.slice(2)), median(run.unchanged.slice(2))];
    const each = (t: number) => (n === 0 ? "the config's own part" : `${((t * 1000) / n).toFixed(1)} µs/profile`);
    console.log(
      `     ${n.toLocaleString('en-US').padStart(6)} profiles: first sync ${ms(write)} (${each(write)}), ` +
        `second ${ms(unchanged)} (${each(unchanged)})`,
    );
    times.push({ n, write, unchanged });
  }
  const [, , mid, top] = times as [unknown, unknown, (typeof times)[0], (typeof times)[0]];
  const added = (a: number, b: number) => `${(((b - a) * 1000) / (top.n - mid.n)).toFixed(1)} µs`;
  console.log(
    `     each profile added from 10,000 to 50,000: ${added(mid.write, top.write)} (first sync), ` +
      `${added(mid.unchanged, top.unchanged)} (second)`,
  );
}

/** Large configs, hand-written sections plus a block of 10,000 profiles: time and peak memory against the size. */
async function largeConfigs(bare: number): Promise<void> {
  console.log(
    '   large configs: hand-written role profiles (6 lines, about 110 bytes each) plus a block of 10,000 profiles, ' +
      'one new process each:',
  );
  for (const size of [12.5, 25, 50]) {
    const run = await mergeRun(10_000, size, 1);
    const above = run.peakRssMb - bare;
    const perMb = (t: number) => `${(t / (run.inputBytes / 1024 / 1024)).toFixed(1)} ms/MB`;
    console.log(
      `     ${mb(run.inputBytes).padStart(7)}: first sync ${ms(run.write[0]!)} (${perMb(run.write[0]!)}), ` +
        `second ${ms(run.unchanged[0]!)} (${perMb(run.unchanged[0]!)}); peak RSS ${run.peakRssMb.toFixed(0)} MB, ` +
        `${above.toFixed(0)} MB above bare node (${(above / (run.outputBytes / 1024 / 1024)).toFixed(1)}x the file)`,
    );
  }
}

/** Prints the merge benchmarks. */
export async function mergeBenchmarks(): Promise<void> {
  const bare = await bareRssMb();
  await coldSyncs(bare);
  await warmSyncs();
  await growth();
  await largeConfigs(bare);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`Merge benchmarks on Node ${process.version}; figures from one run, machine shared and noisy`);
  await mergeBenchmarks();
}
