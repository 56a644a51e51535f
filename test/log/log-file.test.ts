/** The log file: rotation by size, a bounded number of files, modes, several processes at once, SIGTERM. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { listLogFiles } from '../../src/history/log-files.js';
import { defaultLogFile } from '../../src/log/log-file.js';
import { createLogger } from '../../src/log/logger.js';
import { openLogFile, rotationLockPath } from '../../src/log/rotating-file.js';
import { leaveDeadLock } from '../fs/dead-lock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runWriter } from './fixtures/run-writer.js';
import { logFilePath } from '../../src/paths.js';

/** Every file of the log, oldest first, with its raw text. */
async function files(file: string): Promise<{ file: string; text: string }[]> {
  return (await listLogFiles(file)).map((f) => ({ file: f, text: readFileSync(f, 'utf8') }));
}

/** All lines of all files, each parsed (a line that does not parse fails the test). */
async function lines(file: string): Promise<Record<string, unknown>[]> {
  const all: Record<string, unknown>[] = [];
  for (const f of await files(file)) {
    assert.ok(f.text === '' || f.text.endsWith('\n'), `${f.file} ends with a whole line`);
    for (const line of f.text.split('\n').filter(Boolean)) {
      try {
        all.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        assert.fail(`a line of ${f.file} is not JSON (split or mixed): ${line.slice(0, 200)}`);
      }
    }
  }
  return all;
}

/** A logger that writes only the file (nothing reaches the test runner's output). */
function fileLogger(file: string, maxBytes: number, maxFiles: number) {
  return createLogger({ fd: 2, human: false, color: false, level: 'silent', file: { path: file, maxBytes, maxFiles } });
}

const seqsOf = (all: Record<string, unknown>[], w: string) =>
  all.filter((l) => l.writer === w).map((l) => l.seq as number);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

test('the log file is in the state directory, 5 files of 5 MiB by default', () => {
  assert.equal(logFilePath({ HOME: '/home/ann' }), '/home/ann/.local/state/sso-sync/sso-sync.log');
  assert.deepEqual(defaultLogFile({ HOME: '/home/ann', XDG_STATE_HOME: '/var/ann' }), {
    path: '/var/ann/sso-sync/sso-sync.log',
    maxBytes: 5 * 1024 * 1024,
    maxFiles: 5,
  });
});

test('rotation by size keeps every line whole and in order, no file past maxBytes, directory 0700 and files 0600', async (t) => {
  const file = path.join(tempDir(t), 'state', 'sso-sync', 'sso-sync.log');
  const log = fileLogger(file, 2_000, 100);
  for (let seq = 0; seq < 1_000; seq++) log.info({ event: 'test.line', writer: 'a', seq }, `line ${seq}`);

  const all = await lines(file);
  assert.deepEqual(seqsOf(all, 'a'), range(0, 1_000), 'no line lost, none twice, oldest file first');
  const found = await files(file);
  assert.ok(found.length > 20 && found.length <= 100, `${found.length} files`);
  for (const f of found) {
    assert.ok(Buffer.byteLength(f.text) <= 2_000, `${f.file} has ${Buffer.byteLength(f.text)} bytes`);
    assert.equal(statSync(f.file).mode & 0o777, 0o600, `${f.file} is the user's alone`);
  }
  assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
  assert.equal(statSync(path.dirname(path.dirname(file))).mode & 0o777, 0o700);
});

test('only maxFiles files are kept: the newest lines, and files left by a larger maxFiles are removed', async (t) => {
  const file = path.join(tempDir(t), 'sso-sync.log');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.7`, '{"left":"by an earlier maxFiles"}\n');
  writeFileSync(path.join(path.dirname(file), 'notes.txt'), 'not a log file\n');
  const log = fileLogger(file, 1_000, 3);
  for (let seq = 0; seq < 500; seq++) log.info({ event: 'test.line', writer: 'a', seq }, `line ${seq}`);

  assert.deepEqual(readdirSync(path.dirname(file)).sort(), [
    'notes.txt',
    'sso-sync.log',
    'sso-sync.log.1',
    'sso-sync.log.2',
  ]);
  const kept = seqsOf(await lines(file), 'a');
  assert.ok(kept.length > 0);
  assert.deepEqual(kept, range(500 - kept.length, 500), 'the newest lines, contiguous, up to the last one');
});

test('a line longer than maxBytes gets a file of its own', async (t) => {
  const file = path.join(tempDir(t), 'sso-sync.log');
  const log = fileLogger(file, 200, 5);
  log.info({ event: 'test.line', seq: 0 }, 'short');
  log.info({ event: 'test.line', seq: 1, pad: 'y'.repeat(500) }, 'long');
  log.info({ event: 'test.line', seq: 2 }, 'short');
  const found = await files(file);
  assert.deepEqual(
    found.map((f) =>
      f.text
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    ),
    [[0], [1], [2]],
  );
});

test('the file always gets JSON, info and above whatever the output level, with secrets censored', async (t) => {
  const file = path.join(tempDir(t), 'sso-sync.log');
  const log = createLogger({
    fd: 2,
    human: true,
    color: false,
    level: 'silent',
    file: { path: file, maxBytes: 100_000, maxFiles: 2 },
  });
  log.debug({ event: 'test.debug' }, 'not history');
  log.info(
    {
      event: 'token.refreshed',
      session: 'mycorp',
      accessToken: 'SECRET-A',
      nested: { refreshToken: 'SECRET-R', deeper: { clientSecret: 'SECRET-C' } },
    },
    'refreshed',
  );
  const text = readFileSync(file, 'utf8');
  assert.doesNotMatch(text, /SECRET/);
  assert.doesNotMatch(text, /test\.debug/);
  const [line] = await lines(file);
  assert.equal(line?.event, 'token.refreshed');
  assert.equal(line.level, 'info');
  assert.equal(line.accessToken, '[redacted]');

  const verbose = createLogger({
    fd: 2,
    human: false,
    color: false,
    level: 'silent',
    file: { path: file, maxBytes: 100_000, maxFiles: 2 },
  });
  verbose.info({ event: 'test.second' }, 'a second logger appends');
  assert.deepEqual(
    (await lines(file)).map((l) => l.event),
    ['token.refreshed', 'test.second'],
  );
});

test('a log file removed under a running process is created again', async (t) => {
  const file = path.join(tempDir(t), 'state', 'sso-sync.log');
  const log = fileLogger(file, 100_000, 2);
  log.info({ event: 'test.line', seq: 0 }, 'first');
  rmSync(path.dirname(file), { recursive: true });
  log.info({ event: 'test.line', seq: 1 }, 'second');
  assert.deepEqual(
    (await lines(file)).map((l) => l.seq),
    [1],
  );
});

test('a log file that cannot be written is reported once and never throws', (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'state'), 'a file where the directory should be');
  const errors: Error[] = [];
  const file = openLogFile({ path: path.join(dir, 'state', 'sso-sync.log'), maxBytes: 1_000, maxFiles: 2 }, (e) =>
    errors.push(e),
  );
  file.write('{"a":1}\n');
  file.write('{"a":2}\n');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /ENOTDIR|EEXIST/);
  assert.throws(
    () => openLogFile({ path: path.join(dir, 'x.log'), maxBytes: 1_000, maxFiles: 1 }, () => undefined),
    /maxFiles/,
  );
});

test('two processes logging to the same file at once, with rotations: every line whole, none lost', async (t) => {
  const file = path.join(tempDir(t), 'sso-sync', 'sso-sync.log');
  // About 1.5 MB in 16 KB files: around 90 rotations, all kept so that every line can be counted.
  const job = { path: file, maxBytes: 16_000, maxFiles: 200, count: 5_000, pad: 60 };
  const [a, b] = [runWriter({ ...job, writer: 'a' }), runWriter({ ...job, writer: 'b' })];
  const [ra, rb] = await Promise.all([a.done, b.done]);
  assert.equal(ra.code, 0, ra.stderr);
  assert.equal(rb.code, 0, rb.stderr);

  const all = await lines(file);
  assert.deepEqual(
    seqsOf(all, 'a').sort((x, y) => x - y),
    range(0, 5_000),
    'every line of process a, once',
  );
  assert.deepEqual(
    seqsOf(all, 'b').sort((x, y) => x - y),
    range(0, 5_000),
    'every line of process b, once',
  );
  const found = await files(file);
  assert.ok(found.length > 50, `${found.length} files: the processes did rotate`);
  for (const f of found.slice(0, -1)) {
    // A line or two can land after another process's rotation began; never much more.
    assert.ok(Buffer.byteLength(f.text) <= 16_000 * 1.5, `${f.file}: ${Buffer.byteLength(f.text)} bytes`);
  }
});

test('two processes rotating a small log at once: the number of files stays bounded and every kept line is whole', async (t) => {
  const file = path.join(tempDir(t), 'sso-sync.log');
  const job = { path: file, maxBytes: 4_000, maxFiles: 3, count: 3_000, pad: 40 };
  const results = await Promise.all(
    [runWriter({ ...job, writer: 'a' }), runWriter({ ...job, writer: 'b' })].map((r) => r.done),
  );
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(path.dirname(file)).sort(), ['sso-sync.log', 'sso-sync.log.1', 'sso-sync.log.2']);
  const all = await lines(file);
  const kept = { a: seqsOf(all, 'a'), b: seqsOf(all, 'b') };
  for (const [w, seqs] of Object.entries(kept)) {
    // Each process's lines kept are its newest, without a gap (its older ones went with the oldest files).
    assert.deepEqual(
      [...seqs].sort((x, y) => x - y),
      range(3_000 - seqs.length, 3_000),
      `the lines of ${w} kept`,
    );
  }
  assert.ok(kept.a.length + kept.b.length > 0);
});

for (const kernel of [false, true]) {
  test(`SIGTERM in the middle of a burst loses no line that was logged (${kernel ? 'default action: the kernel ends the process' : 'handled in JavaScript'})`, async (t) => {
    const file = path.join(tempDir(t), 'sso-sync.log');
    const r = runWriter({
      path: file,
      maxBytes: 50_000,
      maxFiles: 1_000,
      writer: 'a',
      count: 0,
      pad: 30,
      kernelSigterm: kernel,
    });
    await r.ready;
    await new Promise((resolve) => setTimeout(resolve, 50));
    r.child.kill('SIGTERM');
    const result = await r.done;
    assert.equal(result.signal, 'SIGTERM', 'the process was ended by the signal');

    const inFile = seqsOf(await lines(file), 'a');
    assert.ok(inFile.length >= 200, `${inFile.length} lines`);
    assert.deepEqual(inFile, range(0, inFile.length), 'the file holds every line from the first to the last, none cut');
    // Every line that reached the output (each is written to the file first) is in the file.
    const output = result.stdout.split('\n').filter((l) => l.startsWith('{') && l.endsWith('}'));
    const last = output.map((l) => (JSON.parse(l) as { seq: number }).seq).at(-1) ?? -1;
    assert.ok(
      last >= 0 && last < inFile.length,
      `the output reached line ${last}, the file has ${inFile.length} lines`,
    );
  });
}

test('process.exit right after the last line loses nothing', async (t) => {
  const file = path.join(tempDir(t), 'sso-sync.log');
  const result = await runWriter({
    path: file,
    maxBytes: 10_000,
    maxFiles: 1_000,
    writer: 'a',
    count: 1_234,
    pad: 10,
    exitAtOnce: true,
  }).done;
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(seqsOf(await lines(file), 'a'), range(0, 1_234));
});

/** Runs a few lines of ESM that get `createLogger` in scope; returns what reached stdout. */
async function withLogger(code: string): Promise<string> {
  const logger = new URL('../../src/log/logger.js', import.meta.url).href;
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `import { createLogger } from ${JSON.stringify(logger)};\n${code}`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  assert.equal(exitCode, 0);
  return stdout;
}

test('readable lines on a terminal end each with a newline, while the file gets JSON', async (t) => {
  const file = path.join(tempDir(t), 'sso-sync.log');
  const out = await withLogger(`
    const log = createLogger({ fd: 1, human: true, color: false, file: { path: ${JSON.stringify(file)}, maxBytes: 10000, maxFiles: 2 } });
    log.info({ event: 'profile.added', profile: 'a' }, 'a added');
    log.warn({ event: 'block.edited' }, 'edited');`);
  assert.deepEqual(
    out.split('\n').map((l) => l.replace(/^\[[0-9:]+\] /, '')),
    ['INFO: profile.added a added', 'WARN: block.edited edited', ''],
  );
  assert.deepEqual(
    (await lines(file)).map((l) => l.event),
    ['profile.added', 'block.edited'],
  );
});

test('a log file that cannot be written is reported once in the output, and the output goes on', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'state'), 'a file where the directory should be');
  const out = await withLogger(`
    const log = createLogger({ fd: 1, human: false, color: false, file: { path: ${JSON.stringify(path.join(dir, 'state', 'sso-sync.log'))}, maxBytes: 10000, maxFiles: 2 } });
    log.info({ event: 'profile.added', profile: 'a' }, 'a added');
    log.info({ event: 'profile.added', profile: 'b' }, 'b added');`);
  const events = out
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; file?: string });
  assert.deepEqual(
    events.map((e) => e.event),
    ['log.file_failed', 'profile.added', 'profile.added'],
  );
  assert.equal(events[0]!.file, path.join(dir, 'state', 'sso-sync.log'));
});

test('a rotation lock left by a process killed while rotating does not stop rotation, and its takeover is logged', async (t) => {
  const file = path.join(tempDir(t), 'sso-sync.log');
  mkdirSync(path.dirname(file), { recursive: true });
  const dead = leaveDeadLock(rotationLockPath(file));
  const log = fileLogger(file, 1_000, 100);
  for (let seq = 0; seq < 20; seq++) log.info({ event: 'test.line', writer: 'a', seq }, `line ${seq}`);

  const found = await files(file);
  assert.ok(found.length > 1, 'the log was rotated');
  const all = await lines(file);
  assert.deepEqual(seqsOf(all, 'a'), range(0, 20), 'no line lost');
  const warnings = all.filter((l) => l.event === 'lock.taken_over');
  assert.equal(warnings.length, 1, 'the takeover is logged once');
  assert.deepEqual(
    { ...warnings[0], time: undefined, msg: undefined },
    {
      level: 'warn',
      time: undefined,
      event: 'lock.taken_over',
      lock: rotationLockPath(file),
      reason: 'dead',
      holderPid: dead,
      ageMs: warnings[0]!.ageMs,
      msg: undefined,
    },
  );
  assert.match(
    String(warnings[0]!.msg),
    new RegExp(`took over the lock .*sso-sync\\.log\\.rotation\\.lock .*pid ${dead}, is gone`),
  );
  // Right after the line that rotated, in the new file: not in the middle of the rotation.
  const second = found[1]!.text.split('\n');
  assert.equal((JSON.parse(second[1]!) as { event: string }).event, 'lock.taken_over');
  assert.deepEqual(
    readdirSync(path.dirname(file)).filter((n) => n.includes('lock')),
    [],
    'no rotation lock or claim left',
  );
});
