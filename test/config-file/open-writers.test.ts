/**
 * A program that holds the AWS config open for writing (it emptied the file and pauses before writing the rest) is
 * waited for: the write lands only once it is done, on the whole of what it wrote; past the wait nothing is written.
 * Real processes, real /proc.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { readConfig, writeConfig, type Rewrite } from '../../src/config-file/config-file.js';
import { openWriters, writersVisible, type OpenWriter } from '../../src/fs/open-writers.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

/** sso-sync's change in these tests: a block added once. */
const addBlock: Rewrite = (current) => (current?.includes('# block') ? current : `${current ?? ''}# block\n`);

/** Runs a shell script as another program would; it is killed when the test ends. */
function shell(t: TestContext, script: string): ChildProcess & { done: Promise<void> } {
  const child = spawn('/bin/sh', ['-c', script], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  return Object.assign(child, { done: new Promise<void>((resolve) => child.once('exit', () => resolve())) });
}

/** A config holding `text` in a temp directory; undefined (the test skipped) where open writers cannot be seen. */
function linuxConfig(t: TestContext, text: string): string | undefined {
  if (!writersVisible) {
    t.skip('open writers are only visible on Linux (/proc)');
    return undefined;
  }
  const file = path.join(tempDir(t, 'sso-sync-writers-'), 'config');
  writeFileSync(file, text);
  return file;
}

/** Whether the process has `file` open on descriptor `fd`, from /proc. */
function holds(pid: number | undefined, fd: number, file: string): boolean {
  try {
    return readlinkSync(`/proc/${String(pid)}/fd/${fd}`) === file;
  } catch {
    return false;
  }
}

test('open writers are the processes holding the file open to write, for writing or reading and writing', async (t) => {
  const file = linuxConfig(t, '[default]\n');
  if (file === undefined) return;
  // `exec sleep`: one process holds the descriptors (a child would inherit them and hold them too).
  const writer = shell(t, `exec 3>>'${file}' 4<>'${file}'; exec sleep 30`);
  const reader = shell(t, `exec 3<'${file}'; sleep 30`);
  await until('both to open the file', () => holds(writer.pid, 4, file) && holds(reader.pid, 3, file));
  const found = await openWriters(file);
  assert.deepEqual(
    found.map((w) => w.pid),
    [writer.pid],
    'the writer, once, and not the reader',
  );
  assert.equal(found[0]!.command, 'sleep');
  writer.kill('SIGKILL');
  await writer.done;
  assert.deepEqual(await openWriters(file), []);
});

test('a program that pauses while writing is waited for, and the write merges on all it wrote', async (t) => {
  const file = linuxConfig(t, '[default]\nregion = eu-west-1\n');
  if (file === undefined) return;
  const generator = shell(
    t,
    `{ printf '[default]\\nregion = eu-central-1\\n'; sleep 1; printf '[profile late]\\nregion = us-east-1\\n'; } > '${file}'`,
  );
  await until('the first part written', () => readFileSync(file, 'utf8').includes('eu-central-1'));
  const waits: OpenWriter[][] = [];
  const result = await writeConfig(await readConfig(file), addBlock, { onWritersWait: (w) => waits.push([...w]) });
  await generator.done;
  assert.equal(result.written, true);
  assert.equal(
    readFileSync(file, 'utf8'),
    '[default]\nregion = eu-central-1\n[profile late]\nregion = us-east-1\n# block\n',
  );
  assert.equal(waits.length, 1, 'the wait was told');
  assert.equal(waits[0]![0]!.pid, generator.pid);
});

test('a program that keeps the file open past the wait: nothing is written, and the error says who and what to do', async (t) => {
  const file = linuxConfig(t, '[default]\n');
  if (file === undefined) return;
  const holder = shell(t, `exec 3>>'${file}'; sleep 30`);
  await until('the holder to open the file', async () => (await openWriters(file)).length > 0);
  await assert.rejects(
    writeConfig(await readConfig(file), addBlock, { writerWaitMs: 300 }),
    (e: Error & { exitCode?: number; retryable?: boolean }) => {
      assert.match(e.message, new RegExp(`is still open for writing by pid ${holder.pid} \\(sh\\)`));
      assert.match(e.message, /nothing was written.*Run again when it is done/);
      assert.equal(e.exitCode, 4);
      assert.equal(e.retryable, true);
      return true;
    },
  );
  assert.equal(readFileSync(file, 'utf8'), '[default]\n');
});

test('where open writers cannot be seen, what a pausing program writes into the replaced file is read again and kept', async (t) => {
  const dir = tempDir(t, 'sso-sync-writers-');
  const file = path.join(dir, 'config');
  writeFileSync(file, '[default]\nregion = eu-west-1\n');
  const generator = shell(
    t,
    `{ printf '[default]\\nregion = eu-central-1\\n'; sleep 1; printf '[profile late]\\nregion = us-east-1\\n'; } > '${file}'`,
  );
  await until('the first part written', () => readFileSync(file, 'utf8').includes('eu-central-1'));
  // As on a system without /proc: the write does not wait, it renames at once, then looks at the replaced file again.
  const result = await writeConfig(await readConfig(file, { findWriters: null }), addBlock, { findWriters: null });
  await generator.done;
  assert.equal(result.written, true);
  assert.equal(
    readFileSync(file, 'utf8'),
    '[default]\nregion = eu-central-1\n[profile late]\nregion = us-east-1\n# block\n',
  );
});

test('a program that opened the file just before the rename and writes after it is waited for, and its line kept', async (t) => {
  const file = linuxConfig(t, '[default]\nregion = eu-west-1\n');
  if (file === undefined) return;
  let appender: (ChildProcess & { done: Promise<void> }) | undefined;
  const result = await writeConfig(await readConfig(file), addBlock, {
    // Between the last checks and the rename: `echo … >> config`, with a pause between its open and its write.
    afterHeldRead: async () => {
      if (appender !== undefined) return; // once: the next try merges what it wrote
      appender = shell(t, `exec 3>>'${file}'; sleep 1; printf '# appended late\\n' >&3`);
      await until('the appender to open the file', () => holds(appender!.pid, 3, file));
    },
  });
  await appender?.done;
  assert.equal(result.written, true);
  assert.equal(readFileSync(file, 'utf8'), '[default]\nregion = eu-west-1\n# appended late\n# block\n');
});
