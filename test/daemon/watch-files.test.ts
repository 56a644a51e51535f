/** The real file watcher (fs.watch): files of any name are watched through their directory, never created as one. */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { watchFiles } from '../../src/daemon/watch-files.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

test('settings files named .yml or with no extension stay files; their directories and a missing directory are created and watched', async (t) => {
  const home = tempDir(t, 'sso-sync-watch-');
  const yml = path.join(home, 's.yml');
  const bare = path.join(home, 'conf', 'settings');
  const notYet = path.join(home, 'later', 'team.settings'); // its directory does not exist yet
  const cache = path.join(home, '.aws', 'sso', 'cache');
  writeFileSync(yml, 'schedule: "0 0 1 1 *"\n');
  mkdirSync(path.dirname(bare));
  writeFileSync(bare, 'schedule: "0 0 1 1 *"\n');
  const seen = new Set<string>();
  const watch = watchFiles(
    [
      { path: yml, kind: 'file' },
      { path: bare, kind: 'file' },
      { path: notYet, kind: 'file' },
      { path: cache, kind: 'dir' },
    ],
    (file) => seen.add(path.resolve(file)),
  );
  t.after(() => watch.close());
  assert.ok(statSync(yml).isFile() && statSync(bare).isFile(), 'not made into directories');
  for (const dir of [path.dirname(notYet), cache]) assert.equal(statSync(dir).mode & 0o777, 0o700, dir);
  const token = path.join(cache, 'abc.json');
  // Touched until seen: the watch may not have started listening at the first write.
  for (const file of [yml, bare, notYet, token])
    await until(`a change of ${file}`, () => (appendFileSync(file, '#\n'), seen.has(file)));
});

test('a watched directory removed and made again is watched again, and the files already in it are told', async (t) => {
  const home = tempDir(t, 'sso-sync-watch-');
  const cache = path.join(home, '.aws', 'sso', 'cache');
  const seen = new Set<string>();
  const watch = watchFiles([{ path: cache, kind: 'dir' }], (file) => seen.add(path.resolve(file)));
  t.after(() => watch.close());
  const first = path.join(cache, 'first.json');
  await until('a token written before the removal', () => (appendFileSync(first, '#\n'), seen.has(first)));

  // `rm -rf ~/.aws/sso/cache`, then a sign-in makes the directory again and writes its token at once.
  rmSync(cache, { recursive: true });
  seen.clear();
  const token = path.join(cache, 'token.json');
  await until('the token written with the directory', () => {
    if (!existsSync(cache)) {
      mkdirSync(cache, { mode: 0o700 });
      writeFileSync(token, '{}');
    }
    return seen.has(token);
  });
  // And later changes in it too.
  const later = path.join(cache, 'later.json');
  await until('a token written later', () => (appendFileSync(later, '#\n'), seen.has(later)));
});

test('a watched file that is a symbolic link (dotfiles) is told when its real file changes, and follows a new link', async (t) => {
  const home = tempDir(t, 'sso-sync-watch-');
  const dotfiles = path.join(home, 'dotfiles');
  mkdirSync(path.join(home, '.aws'));
  mkdirSync(dotfiles);
  const real = path.join(dotfiles, 'aws-config');
  const config = path.join(home, '.aws', 'config');
  writeFileSync(real, '[default]\n');
  symlinkSync(real, config);
  const seen = new Set<string>();
  const watch = watchFiles([{ path: config, kind: 'file' }], (file) => seen.add(path.resolve(file)));
  t.after(() => watch.close());
  await until('an edit of the real file, told as the config', () => (appendFileSync(real, '#\n'), seen.has(config)));

  // The link made to point elsewhere: the new real file is watched.
  const other = path.join(home, 'other-config');
  writeFileSync(other, '[default]\n');
  rmSync(config);
  symlinkSync(other, config);
  await until('the link changed', () => seen.has(config));
  seen.clear();
  await until('an edit of the new real file', () => (appendFileSync(other, '#\n'), seen.has(config)));
});
