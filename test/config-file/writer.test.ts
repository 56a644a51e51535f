/** The atomic writer: a change by someone else between read and rename is merged again, never overwritten. */
import assert from 'node:assert/strict';
import {
  closeSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { readConfig, writeConfig, type Rewrite } from '../../src/config-file/config-file.js';
import type { LockTakeover } from '../../src/fs/lock-file.js';
import { leaveDeadLock } from '../fs/dead-lock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { hook } from '../helpers/writer-hook.js';

/** sso-sync's change in these tests: a block added once, however often the write is redone. */
const addBlock: Rewrite = (current) => (current!.includes('# block') ? current : `${current}# block\n`);

/**
 * Another program that opened the config before sso-sync's write and writes in place, as `aws configure set` does:
 * into the config before sso-sync's rename, into the replaced file after it. Its file is closed when the test ends.
 */
function otherProgram(t: TestContext, file: string) {
  const fd = openSync(file, 'r+');
  t.after(() => closeSync(fd));
  return {
    fd,
    /** Truncates the file and writes `text` from its start. */
    rewrite(text: string): void {
      ftruncateSync(fd, 0);
      writeSync(fd, text, 0);
    },
    /** Truncates the file and writes nothing. */
    empty(): void {
      ftruncateSync(fd, 0);
    },
  };
}

test('a write racing another writer merges again on the new content', async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-writer-'), 'config');
  writeFileSync(file, '[default]\nregion = a\n');
  const snapshot = await readConfig(file);
  let raced = false;
  const seen: (string | undefined)[] = [];
  const result = await writeConfig(
    snapshot,
    (current) => {
      seen.push(current);
      return `${current}# block\n`;
    },
    {
      afterTempWritten: hook(() => {
        if (raced) return;
        raced = true;
        writeFileSync(file, '[default]\nregion = b\n'); // someone else edits the file meanwhile
      }),
    },
  );
  assert.equal(result.written, true);
  assert.equal(result.redone, 1);
  assert.deepEqual(seen, ['[default]\nregion = a\n', '[default]\nregion = b\n']);
  assert.equal(readFileSync(file, 'utf8'), '[default]\nregion = b\n# block\n', "the other writer's edit is kept");
  assert.deepEqual(readdirSync(path.dirname(file)).sort(), ['config'], 'no temp or lock file is left');
});

test('a change written in place into the file just replaced (as `aws configure set` writes) is merged again, not lost', async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-writer-'), 'config');
  writeFileSync(file, '[default]\nregion = a\n');
  // The other program opened the file before sso-sync's rename and writes after it: into the replaced inode.
  const other = otherProgram(t, file);
  const seen: (string | undefined)[] = [];
  let wrote = false;
  const result = await writeConfig(
    await readConfig(file),
    (current) => {
      seen.push(current);
      return `${current}# block\n`;
    },
    {
      afterRename: hook(() => {
        if (wrote) return;
        wrote = true;
        other.rewrite('[default]\nregion = b\noutput = json\n');
      }),
    },
  );
  assert.equal(result.written, true);
  assert.deepEqual(seen, ['[default]\nregion = a\n', '[default]\nregion = b\noutput = json\n']);
  assert.equal(readFileSync(file, 'utf8'), '[default]\nregion = b\noutput = json\n# block\n');
  assert.deepEqual(readdirSync(path.dirname(file)).sort(), ['config']);
});

test('a change rescued from the replaced file survives an earlier race in the same write', async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-writer-'), 'config');
  writeFileSync(file, '[default]\nregion = a\n');
  const other = otherProgram(t, file);
  let raced = false;
  let late = false;
  const result = await writeConfig(await readConfig(file), addBlock, {
    afterTempWritten: hook(() => {
      if (raced) return;
      raced = true;
      // In place, so that the inode the other program holds open stays the file's.
      other.rewrite('[default]\nregion = a2\n');
    }),
    afterRename: hook(() => {
      if (late) return;
      late = true;
      other.rewrite('[default]\nregion = a2\noutput = late\n');
    }),
  });
  assert.equal(result.written, true);
  assert.equal(readFileSync(file, 'utf8'), '[default]\nregion = a2\noutput = late\n# block\n');
});

test('a write into the replaced file that stalls half-way is waited for, not merged half-written', async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-writer-'), 'config');
  const whole = '[default]\nregion = b\n\n[profile keep]\nregion = eu-west-1\n';
  writeFileSync(file, '[default]\nregion = a\n\n[profile keep]\nregion = eu-west-1\n');
  const other = otherProgram(t, file);
  let wrote = false;
  let finished: Promise<void> = Promise.resolve();
  const result = await writeConfig(await readConfig(file), addBlock, {
    afterRename: hook(() => {
      if (wrote) return;
      wrote = true;
      // The other program truncates, writes a first part, is held up for 60 ms, then writes the rest.
      other.rewrite(whole.slice(0, 21));
      finished = new Promise((resolve) => setTimeout(() => resolve(void writeSync(other.fd, whole.slice(21), 21)), 60));
    }),
  });
  await finished;
  assert.equal(result.written, true);
  assert.equal(
    readFileSync(file, 'utf8'),
    `${whole}# block\n`,
    "the whole of the other program's write, and the block",
  );
});

test("another program's rename after the content check is caught by the check next to the rename, and merged on", async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-writer-'), 'config');
  writeFileSync(file, '[default]\nregion = a\n');
  let renamed = false;
  const result = await writeConfig(await readConfig(file), addBlock, {
    // The open file sso-sync checked is the old one: only the path shows the new file.
    afterHeldRead: hook(() => {
      if (renamed) return;
      renamed = true;
      writeFileSync(`${file}.other`, '[default]\nregion = b\n');
      renameSync(`${file}.other`, file);
    }),
  });
  assert.equal(result.written, true);
  assert.equal(result.redone, 1);
  assert.equal(readFileSync(file, 'utf8'), '[default]\nregion = b\n# block\n');
});

test('a rescued change that a newer change keeps from being merged is saved, and the message says where', async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-writer-'), 'config');
  writeFileSync(file, '[default]\nregion = a\n');
  const other = otherProgram(t, file);
  let renames = 0;
  let temps = 0;
  const kept: string[] = [];
  await assert.rejects(
    writeConfig(await readConfig(file), addBlock, {
      // After sso-sync's first rename, the other program writes into the replaced file: a change to rescue.
      afterRename: hook(() => {
        if (renames++ > 0) return;
        other.rewrite('[default]\nregion = rescued\n');
      }),
      // While the rescued change is being merged, a third change lands on the path.
      afterTempWritten: hook(() => {
        if (temps++ === 1) writeFileSync(file, '[default]\nregion = newer\n');
      }),
      keepUnmerged: (text) => {
        kept.push(text);
        return Promise.resolve('/state/backups/config-kept.bak');
      },
    }),
    (error: Error & { code?: string }) =>
      error.code === 'config.refused' &&
      /the profiles are written, but a change .* may be missing \(the file with it, as sso-sync found it, is saved in \/state\/backups\/config-kept\.bak\)/.test(
        error.message,
      ),
  );
  assert.deepEqual(kept, ['[default]\nregion = rescued\n'], 'the rescued change is what was kept');
  assert.equal(readFileSync(file, 'utf8'), '[default]\nregion = newer\n', 'the newer change is left on the path');
});

test('a replaced file emptied just after the rename and not written again is not merged on: the written file stays', async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-writer-'), 'config');
  writeFileSync(file, '[default]\nregion = a\n');
  const other = otherProgram(t, file);
  await assert.rejects(
    writeConfig(await readConfig(file), addBlock, {
      afterRename: hook(() => other.empty()),
    }),
    (error: Error & { code?: string }) =>
      error.code === 'config.refused' &&
      /the profiles are written, but a change another program made at the same moment may be missing/.test(
        error.message,
      ),
  );
  assert.equal(
    readFileSync(file, 'utf8'),
    '[default]\nregion = a\n# block\n',
    'the file sso-sync wrote, not its block alone',
  );
});

test('a rescued change still to merge when the tries run out is saved too', async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-writer-'), 'config');
  writeFileSync(file, '[default]\nregion = a\n');
  const other = otherProgram(t, file);
  const kept: string[] = [];
  await assert.rejects(
    writeConfig(await readConfig(file), addBlock, {
      maxRedo: 0,
      afterRename: hook(() => {
        other.rewrite('[default]\nregion = rescued\n');
      }),
      keepUnmerged: (text) => {
        kept.push(text);
        return Promise.resolve('/state/backups/config-kept.bak');
      },
    }),
    (error: Error) => /the profiles are written, .* is saved in \/state\/backups\/config-kept\.bak/.test(error.message),
  );
  assert.deepEqual(kept, ['[default]\nregion = rescued\n']);
});

test('a writer that never stops racing makes the write give up, leaving the file as the other writer left it', async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-writer-'), 'config');
  writeFileSync(file, 'x = 0\n');
  let n = 0;
  await assert.rejects(
    writeConfig(await readConfig(file), (current) => `${current}y = 1\n`, {
      maxRedo: 2,
      afterTempWritten: hook(() => writeFileSync(file, `x = ${++n}\n`)),
    }),
    (error: Error & { code?: string }) => error.code === 'config.refused' && /kept changing/.test(error.message),
  );
  assert.equal(readFileSync(file, 'utf8'), `x = ${n}\n`);
  assert.deepEqual(readdirSync(path.dirname(file)), ['config']);
});

test('no change computed means no write: the file keeps its inode and mtime, and nothing is left beside it', async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-writer-'), 'config');
  writeFileSync(file, 'same\n');
  // Old times, so that a write now, however soon, shows in the mtime.
  utimesSync(file, new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
  const before = statSync(file, { bigint: true });
  const seen: (string | undefined)[] = [];
  const result = await writeConfig(await readConfig(file), (current) => {
    seen.push(current);
    return current;
  });
  assert.equal(result.written, false);
  assert.deepEqual(seen, ['same\n'], 'the rewrite saw the file once');
  const after = statSync(file, { bigint: true });
  assert.equal(after.ino, before.ino, 'the file was not replaced');
  assert.equal(after.mtimeNs, before.mtimeNs, 'the file was not written');
  assert.equal(readFileSync(file, 'utf8'), 'same\n');
  assert.deepEqual(readdirSync(path.dirname(file)), ['config'], 'no temp or lock file is left');
});

test('a directory or a dangling symlink in place of the config is refused', async (t) => {
  const dir = tempDir(t, 'sso-sync-writer-');
  await assert.rejects(readConfig(dir), /is a directory/);
  const link = path.join(dir, 'config');
  symlinkSync(path.join(dir, 'missing-target'), link);
  await assert.rejects(readConfig(link), /symbolic link to .*missing-target, which does not exist/);
});

test('bytes that are not UTF-8 survive a write unchanged', async (t) => {
  const file = path.join(tempDir(t, 'sso-sync-writer-'), 'config');
  const original = Buffer.from([
    0xef, 0xbb, 0xbf, 0x5b, 0x61, 0x5d, 0x0d, 0x0a, 0x6b, 0x3d, 0xff, 0xfe, 0xe9, 0x0d, 0x0a,
  ]);
  writeFileSync(file, original);
  await writeConfig(await readConfig(file), (current) => `${current}# added\r\n`);
  assert.deepEqual(readFileSync(file), Buffer.concat([original, Buffer.from('# added\r\n')]));
});

test('the write lock of a writer that died is taken over at once, and the takeover is reported', async (t) => {
  const dir = tempDir(t, 'sso-sync-writer-');
  const file = path.join(dir, 'config');
  writeFileSync(file, '[default]\n');
  const dead = leaveDeadLock(`${file}.sso-sync.lock`);
  const takeovers: LockTakeover[] = [];
  const result = await writeConfig(await readConfig(file), addBlock, { onLockTakeover: (x) => takeovers.push(x) });
  assert.equal(result.written, true);
  assert.equal(readFileSync(file, 'utf8'), '[default]\n# block\n');
  assert.equal(takeovers.length, 1);
  assert.equal(takeovers[0]!.reason, 'dead');
  assert.equal(takeovers[0]!.pid, dead);
  assert.deepEqual(readdirSync(dir), ['config'], 'no lock left behind');
});
