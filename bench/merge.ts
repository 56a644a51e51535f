/**
 * The merge benchmarks (section 3 of `npm run bench`; alone: `npm run build && node dist/bench/merge.js [BEFORE]`).
 * Each run is a process of its own (merge-child.ts), started cold as `sso-sync --once` is, so that its peak RSS is
 * its own. A sync here is what `sso-sync --once` does after the fetch: read the file, scan it, plan, write it
 * atomically, and check the result for a section or key given twice (reading the whole file again). Figures from one
 * run, on whatever else the machine is doing: the median of several processes, with the range, and the median CPU time
 * of those syncs (which a busy machine moves less than the time from start to end; printed for a build that reports
 * it). The cold syncs are run beside the floor (floor-sync.ts): the least work the same sync takes, corners cut, as
 * tightly as it can be written, so that each figure is also given as a multiple of what any Node program pays here.
 *
 * BEFORE, when given, is the `dist/bench` directory of another build (the code before a change, built with the same
 * bench files): its processes then take turns with this build's, and each figure is printed for both, with the ratio
 * of this build's to the other's. Both are measured in one run, under the same load, as the ratio needs.
 */
import { median } from './bench-kit.js';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A build to measure: its merge-child.js, and its name in the figures. */
interface Build {
  child: string;
  label: string;
}

const thisBuild: Build = { child: fileURLToPath(new URL('./merge-child.js', import.meta.url)), label: 'now' };

/** What one merge-child process reports; times in ms, one per round. */
interface MergeRun {
  profiles: number;
  inputBytes: number;
  outputBytes: number;
  write: number[];
  unchanged: number[];
  /** The CPU time of each sync (ms); absent from a build whose merge-child.js does not report it. */
  writeCpu?: number[];
  unchangedCpu?: number[];
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

const mergeRun = async (build: Build, profiles: number, configMb: number, rounds: number): Promise<MergeRun> =>
  JSON.parse(await runChild([build.child, String(profiles), String(configMb), String(rounds)])) as MergeRun;

/** Runs of each build, taking turns: build A, build B, build A... so that both see the same load. */
async function inTurns<T>(builds: readonly Build[], times: number, run: (build: Build) => Promise<T>): Promise<T[][]> {
  const runs = builds.map((): T[] => []);
  for (let i = 0; i < times; i++) for (let b = 0; b < builds.length; b++) runs[b]!.push(await run(builds[b]!));
  return runs;
}

/** The peak RSS of a node process that only starts and ends, in MB. */
async function bareRssMb(): Promise<number> {
  return Number(await runChild(['-e', 'console.log(process.resourceUsage().maxRSS / 1024)']));
}

const ms = (x: number) => `${x.toFixed(0)} ms`;
/** The median of some figures, with their range. */
const spread = (xs: readonly number[]) =>
  `${ms(median(xs))} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
/** The median CPU time of some syncs, when every one has it. */
function cpuMedian(xs: readonly (number | undefined)[]): number | undefined {
  const known = xs.filter((x) => x !== undefined);
  return known.length === xs.length ? median(known) : undefined;
}

/**
 * The floor (floor-sync.ts): not sso-sync, but the least work this sync takes, written as tightly as it goes, corners
 * cut; run beside the builds, it says how far above what any Node program pays on this machine their figures are.
 */
const floor: Build = { child: fileURLToPath(new URL('./merge-floor.js', import.meta.url)), label: 'the floor' };

/** `now` as a multiple of `base`, in words, when there is a base. */
const times = (now: number, base: number | undefined, of: string) =>
  base === undefined ? '' : `   ${(now / base).toFixed(2)}x ${of}`;

/**
 * 10,000 profiles into a 1.5 MB config, each process new: its first sync and its second; the floor's processes take
 * turns with the builds'.
 */
async function coldSyncs(bare: number, builds: readonly Build[]): Promise<void> {
  const processes = builds.length > 1 ? 9 : 7;
  const all = [...builds, floor];
  const runs = await inTurns(all, processes, (build) => mergeRun(build, 10_000, 1.5, 1));
  const { inputBytes, outputBytes } = runs[0]![0]!;
  console.log(
    `   10,000 profiles into a ${mb(inputBytes)} config (${mb(outputBytes)} after), ${processes} new processes of ` +
      `${builds.length > 1 ? 'each build and ' : 'sso-sync and '}of the floor (bench/floor-sync.ts), taking turns:`,
  );
  const f = all.length - 1;
  /** The ratios printed after build b's figure: this build to the one before, and to the floor. */
  const ratios = (figures: readonly (number | undefined)[], b: number) =>
    (b === 0 ? times(figures[0]!, builds.length > 1 ? figures[1] : undefined, 'the one before') : '') +
    (b < f ? times(figures[b]!, figures[f], 'the floor') : '');
  const figures = [
    ['first sync (10,000 profiles added, written)', (r: MergeRun) => r.write[0]!, (r: MergeRun) => r.writeCpu?.[0]],
    [
      'second sync (no change, nothing written)',
      (r: MergeRun) => r.unchanged[0]!,
      (r: MergeRun) => r.unchangedCpu?.[0],
    ],
  ] as const;
  for (const [what, of, cpuOf] of figures) {
    const medians = runs.map((r) => median(r.map(of)));
    const cpus = runs.map((r) => cpuMedian(r.map(cpuOf)));
    all.forEach((build, b) => {
      const cpu = cpus[b] === undefined ? '' : `; CPU ${ms(cpus[b])}${ratios(cpus, b)}`;
      console.log(
        `     ${`${what}, ${build.label}:`.padEnd(66)}${spread(runs[b]!.map(of))}${ratios(medians, b)}${cpu}`,
      );
    });
  }
  const peaks = runs.map((r) => median(r.map((x) => x.peakRssMb)));
  all.forEach((build, b) => {
    const top = Math.max(...runs[b]!.map((x) => x.peakRssMb));
    console.log(
      `     ${`peak RSS of the process, ${build.label}:`.padEnd(66)}${peaks[b]!.toFixed(0)} MB, the largest of ` +
        `${processes} ${top.toFixed(0)} MB (bare node: ${bare.toFixed(0)} MB)${ratios(peaks, b)}`,
    );
  });
}

/** The same syncs over and over in one process: the later rounds, once V8 has optimised the code. */
async function warmSyncs(builds: readonly Build[]): Promise<void> {
  const runs = await inTurns(builds, 1, (build) => mergeRun(build, 10_000, 1.5, 8));
  console.log(
    '   the same, 8 rounds in one process, rounds 4 to 8 (the code optimised, as in a long-running process):',
  );
  builds.forEach((build, b) => {
    const run = runs[b]![0]!;
    const label = builds.length > 1 ? `${build.label}: ` : '';
    console.log(
      `     ${label}first sync: ${spread(run.write.slice(3))}; second sync: ${spread(run.unchanged.slice(3))}`,
    );
  });
}

/** One build's growth figures: the median time of rounds 3 to 6 at each number of profiles. */
interface Growth {
  n: number;
  write: number;
  unchanged: number;
}

/**
 * Growth with the number of profiles, into the same 1.5 MB config: at each size the time per profile, and the time
 * per profile above the sync with none (the config's own part): the same figure at every size is linear growth.
 */
async function growth(builds: readonly Build[]): Promise<void> {
  console.log('   growth with the profiles, into the 1.5 MB config (median of rounds 3 to 6 of one process each):');
  const sizes = [0, 1_000, 10_000, 50_000];
  const all: Growth[][] = builds.map(() => []);
  for (const n of sizes) {
    const runs = await inTurns(builds, 1, (build) => mergeRun(build, n, 1.5, 6));
    runs.forEach(([run], b) =>
      all[b]!.push({ n, write: median(run!.write.slice(2)), unchanged: median(run!.unchanged.slice(2)) }),
    );
  }
  builds.forEach((build, b) => {
    const times = all[b]!;
    const none = times[0]!;
    if (builds.length > 1) console.log(`     ${build.label}:`);
    for (const t of times) {
      const each = (x: number, base: number) =>
        t.n === 0
          ? "the config's own part"
          : `${((x * 1000) / t.n).toFixed(1)} µs/profile, ${(((x - base) * 1000) / t.n).toFixed(1)} above none`;
      console.log(
        `     ${t.n.toLocaleString('en-US').padStart(6)} profiles: first sync ${ms(t.write)} (${each(t.write, none.write)}), ` +
          `second ${ms(t.unchanged)} (${each(t.unchanged, none.unchanged)})`,
      );
    }
    const [, , mid, top] = times as [Growth, Growth, Growth, Growth];
    const added = (a: number, x: number) => `${(((x - a) * 1000) / (top.n - mid.n)).toFixed(1)} µs`;
    console.log(
      `     each profile added from 10,000 to 50,000: ${added(mid.write, top.write)} (first sync), ` +
        `${added(mid.unchanged, top.unchanged)} (second)`,
    );
  });
}

/** Large configs, hand-written sections plus a block of 10,000 profiles: time and peak memory against the size. */
async function largeConfigs(bare: number): Promise<void> {
  console.log(
    '   large configs: hand-written role profiles (6 lines, about 110 bytes each) plus a block of 10,000 profiles, ' +
      'one new process each:',
  );
  for (const size of [12.5, 25, 50]) {
    const run = await mergeRun(thisBuild, 10_000, size, 1);
    const above = run.peakRssMb - bare;
    const perMb = (t: number) => `${(t / (run.inputBytes / 1024 / 1024)).toFixed(1)} ms/MB`;
    console.log(
      `     ${mb(run.inputBytes).padStart(7)}: first sync ${ms(run.write[0]!)} (${perMb(run.write[0]!)}), ` +
        `second ${ms(run.unchanged[0]!)} (${perMb(run.unchanged[0]!)}); peak RSS ${run.peakRssMb.toFixed(0)} MB, ` +
        `${above.toFixed(0)} MB above bare node (${(above / (run.outputBytes / 1024 / 1024)).toFixed(1)}x the file)`,
    );
  }
}

/** Prints the merge benchmarks; `before`: the `dist/bench` directory of a build to compare with. */
export async function mergeBenchmarks(before?: string): Promise<void> {
  const builds =
    before === undefined
      ? [thisBuild]
      : [thisBuild, { child: path.resolve(before, 'merge-child.js'), label: 'before' }];
  const bare = await bareRssMb();
  await coldSyncs(bare, builds);
  await warmSyncs(builds);
  await growth(builds);
  await largeConfigs(bare);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`Merge benchmarks on Node ${process.version}; figures from one run, machine shared and noisy`);
  await mergeBenchmarks(process.argv[2]);
}
