/**
 * Another program editing the AWS config while sso-sync syncs: the concurrent-writers suite starts it as a child.
 * Each round it reads the file, checks that every change it made before is still there, then changes lines of its
 * own outside sso-sync's blocks and writes the file back the way its style says:
 * - in-place: truncate and write the same inode, as `aws configure set` does (Python's open(path, 'w'));
 * - rename: a temp file renamed over the config, as editors and atomic writers do;
 * - append: one line added with O_APPEND, as `echo … >> ~/.aws/config` does.
 * On SIGTERM it prints what it did as one JSON line: rounds, and every change of its own it found missing.
 *
 * Usage: node other-writer.js CONFIG STYLE MIN_PAUSE_MS MAX_PAUSE_MS
 */
import { appendFileSync, closeSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

const [file, style, minPause, maxPause] = process.argv.slice(2) as [
  string,
  'in-place' | 'rename' | 'append',
  string,
  string,
];
let round = 0;
const lost: string[] = [];
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());

/**
 * The lines this program expects after `round` rounds, in its two sections (one before sso-sync's block, one after)
 * or at the end.
 */
function expectedLines(n: number): string[] {
  if (style === 'append') return Array.from({ length: n }, (_, i) => `# note ${i + 1}`);
  const head = [`counter = ${n}`, ...Array.from({ length: n }, (_, i) => `edit_${i + 1} = ${i + 1}`)];
  return [...head, `tail_counter = ${n}`];
}

function changed(text: string, n: number): string {
  if (style === 'append') return `${text}# note ${n}\n`;
  return text
    .replace(/^counter = \d+$/m, `counter = ${n}\nedit_${n} = ${n}`)
    .replace(/^tail_counter = \d+$/m, `tail_counter = ${n}`);
}

function write(text: string, n: number): void {
  if (style === 'append') {
    appendFileSync(file, `# note ${n}\n`);
  } else if (style === 'in-place') {
    const fd = openSync(file, 'w');
    writeSync(fd, Buffer.from(text, 'latin1'));
    closeSync(fd);
  } else {
    const temp = path.join(path.dirname(file), `.other-writer-${process.pid}.tmp`);
    writeFileSync(temp, Buffer.from(text, 'latin1'));
    renameSync(temp, file);
  }
}

function pause(): Promise<void> {
  const ms = Number(minPause) + Math.random() * (Number(maxPause) - Number(minPause));
  return new Promise((resolve) => setTimeout(resolve, ms));
}

while (!stop.signal.aborted) {
  const text = readFileSync(file, 'latin1');
  const lines = new Set(text.split('\n'));
  for (const line of expectedLines(round)) {
    if (!lines.has(line) && !lost.includes(line)) lost.push(line);
  }
  round += 1;
  write(changed(text, round), round);
  await pause();
}
const final = new Set(readFileSync(file, 'latin1').split('\n'));
const missingAtEnd = expectedLines(round).filter((line) => !final.has(line));
process.stdout.write(`${JSON.stringify({ rounds: round, lost, missingAtEnd })}\n`);
