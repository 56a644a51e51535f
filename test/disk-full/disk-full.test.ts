/**
 * A full disk: a clear error, and the old file intact. Each scenario runs on a real small tmpfs where one can be
 * mounted here (root, or a user namespace that allows it), and always also on a disk made full by injection at the
 * fs boundary (`full-disk.ts`, given to the CLI child with `node --import`, or installed in-process), so that the
 * fallback never rots. Both count free space in pages, so "one page left" means the same on both.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { SsoSyncError } from '../../src/errors.js';
import { readState, recordRunFailure } from '../../src/sync/sync-state.js';
import { readToken, writeToken } from '../../src/token/cache.js';
import { installFullDisk, pageSize as injectedPageSize } from './full-disk.js';
import { accessOnlyToken } from '../helpers/in-process.js';
import {
  filesUnder,
  logLines,
  mtimeNs,
  profileNames,
  sandbox,
  sessionSection,
  type Sandbox,
} from '../helpers/sandbox.js';
import { tempDir } from '../helpers/temp-dir.js';
import { tokenCachePath } from '../../src/paths.js';

type DiskKind = 'tmpfs' | 'injected';
const kinds: DiskKind[] = ['tmpfs', 'injected'];

const preload = pathToFileURL(fileURLToPath(new URL('./full-disk.js', import.meta.url))).href;

/** A small disk at a directory: a tmpfs of 64 KiB, or a directory where writes are made to fail as on a full one. */
interface SmallDisk {
  kind: DiskKind;
  dir: string;
  /** Its page size: what "one page left" means. */
  page: number;
  /** Fills the disk but for `pages` free pages. */
  fill(pages: number): void;
  /** Frees what `fill` took. */
  free(): void;
  /** What a CLI run needs in its environment to see the disk as it is now. */
  env(): NodeJS.ProcessEnv;
  /** Runs a function in this process with the disk as it is now (the injected disk patches this process meanwhile). */
  inProcess<T>(work: () => Promise<T>): Promise<T>;
}

const fillerName = 'filler';

/**
 * Makes `dir` a small disk of the given kind; undefined (and the test skipped, saying why) when a tmpfs cannot be
 * mounted here. `cleanup` gets what must run after the test, before anything else removes the directory.
 */
function smallDisk(
  t: TestContext,
  kind: DiskKind,
  dir: string,
  cleanup: (fn: () => void) => void,
): SmallDisk | undefined {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (kind === 'tmpfs') {
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir], { encoding: 'utf8' });
    if (mount.error || mount.status !== 0) {
      t.skip(
        `no tmpfs can be mounted here (${(mount.error?.message ?? mount.stderr).replace(/\s+/g, ' ').trim() || `exit ${mount.status}`}); the injected variant covers this scenario`,
      );
      return undefined;
    }
    cleanup(() => {
      // Always unmounted, even when the test failed; lazily as a last resort, so the temp HOME can be removed.
      const umount = spawnSync('umount', [dir], { encoding: 'utf8' });
      if (umount.status !== 0) spawnSync('umount', ['-l', dir]);
    });
    const filler = path.join(dir, fillerName);
    const page = statfsSync(dir).bsize;
    t.diagnostic(`disk: a real 64 KiB tmpfs mounted at ${dir} (${page}-byte pages)`);
    return {
      kind,
      dir,
      page,
      fill(pages) {
        rmSync(filler, { force: true });
        const { bavail, bsize } = statfsSync(dir);
        assert.ok(bavail > pages, `the tmpfs has ${bavail} pages free, not more than ${pages}`);
        writeFileSync(filler, Buffer.alloc((bavail - pages) * bsize));
        assert.equal(statfsSync(dir).bavail, pages, 'the filler left exactly the pages asked for');
      },
      free: () => rmSync(filler, { force: true }),
      env: () => ({}),
      inProcess: (work) => work(),
    };
  }
  t.diagnostic(`disk: ENOSPC injected at the fs boundary below ${dir} (${injectedPageSize}-byte pages)`);
  let freePages: number | undefined;
  return {
    kind,
    dir,
    page: injectedPageSize,
    fill(pages) {
      freePages = pages;
    },
    free() {
      freePages = undefined;
    },
    env: () =>
      freePages === undefined
        ? {}
        : {
            NODE_OPTIONS: `--import=${preload}`,
            SSO_SYNC_TEST_FULL_DIR: dir,
            SSO_SYNC_TEST_FULL_PAGES: String(freePages),
          },
    async inProcess(work) {
      if (freePages === undefined) return work();
      const restore = await installFullDisk(dir, freePages);
      try {
        return await work();
      } finally {
        restore();
      }
    },
  };
}

/**
 * A sandbox with a small disk at `where(home)`. After the test: the disk's files are searched for the emulator's
 * secrets (but the token cache, which holds them on purpose), the tmpfs is unmounted, the sandbox closed.
 */
async function world(
  t: TestContext,
  kind: DiskKind,
  where: (home: string) => string,
): Promise<{ box: Sandbox; disk: SmallDisk } | undefined> {
  const box = await sandbox({ fixture: builtinFixture() });
  const cleanups: (() => void)[] = [];
  // Read by the cleanup, which may run before the disk was made.
  const made: { disk?: SmallDisk | undefined } = {};
  t.after(async () => {
    try {
      const disk = made.disk;
      if (disk) {
        const secrets = box.emulator.issuedSecrets();
        const cache = path.join(box.home, '.aws', 'sso', 'cache') + path.sep;
        for (const f of filesUnder(disk.dir).filter((f) => !f.startsWith(cache))) {
          const text = readFileSync(f, 'latin1');
          assert.ok(!secrets.some((s) => text.includes(s)), `a secret issued by the emulator appeared in ${f}`);
        }
      }
    } finally {
      try {
        for (const fn of cleanups) fn();
      } finally {
        await box.close();
      }
    }
  });
  const disk = (made.disk = smallDisk(t, kind, where(box.home), (fn) => cleanups.push(fn)));
  return disk && { box, disk };
}

/** Asserts what a person sees on a failure: one line on stderr, naming `what`, no stack trace, no internal error. */
function assertClearMessage(stderr: string, ...what: string[]): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /internal error|^\s+at /m, 'no stack trace');
  for (const w of what) assert.ok(stderr.includes(w), `the message names ${w}:\n${stderr}`);
}

/** The bytes of a config before its sso-sync block and after it. */
function outsideBlock(text: string): [string, string] {
  const begin = text.indexOf('# BEGIN sso-sync mycorp ');
  const endMarker = '# END sso-sync mycorp\n';
  const end = text.indexOf(endMarker);
  assert.ok(begin >= 0 && end > begin, 'the config has one block for mycorp');
  return [text.slice(0, begin), text.slice(end + endMarker.length)];
}

/** What a write may leave beside the config: its temp files and its lock (and the lock's claim files). */
const configLeftovers = (dir: string) =>
  readdirSync(dir).filter((n) => /^\.config\.sso-sync-.*\.tmp$/.test(n) || n.startsWith('config.sso-sync.lock'));

/** A config of the person's own, longer than two pages, so that its new content never fits in one. */
function ownLines(page: number): string {
  const padding = Array.from(
    { length: Math.ceil((2 * page) / 64) },
    (_, i) => `# note ${String(i).padStart(4, '0')}: ${'-'.repeat(50)}\n`,
  ).join('');
  return `# my own settings, kept as they are\n${padding}[default]\nregion = eu-west-1\noutput = json\n\n${sessionSection()}`;
}

/** The builtin organisation with `n` more accounts: a change a sync has to write, logged in `n` lines. */
function withNewAccounts(n: number, first = 900000000000) {
  const fixture = builtinFixture();
  const added = Array.from({ length: n }, (_, i) => ({
    accountId: String(first + i),
    accountName: `MyCorp New Team ${i}`,
    roles: ['AdministratorAccess'],
  }));
  return { accounts: [...fixture.accounts, ...added] };
}

const roleCount = (fixture: { accounts: { roles: string[] }[] }) =>
  fixture.accounts.reduce((n, a) => n + a.roles.length, 0);

for (const kind of kinds) {
  test(`[${kind}] the AWS config on a full disk: exit 4 with a clear message, the file byte-identical, no lock left; once space is freed the next run writes it, the bytes outside the block kept`, async (t) => {
    const started = Date.now();
    const w = await world(t, kind, (home) => path.join(home, '.aws'));
    if (!w) return;
    const { box, disk } = w;
    mkdirSync(path.join(box.home, '.aws', 'sso', 'cache'), { recursive: true, mode: 0o700 }); // hidden by the mount
    box.writeConfig(ownLines(disk.page));
    box.signIn();
    const first = await box.run(['--once']);
    assert.equal(first.code, 0, first.stderr);
    appendFileSync(box.configFile, '\n# my own lines after the block\n[profile mine]\nregion = us-east-1\n');
    const synced = readFileSync(box.configFile);
    const mtime = mtimeNs(box.configFile);
    box.emulator.setFixture(withNewAccounts(1));

    // One page left: the lock's claim takes it, and the temp file of the new content (over two pages) finds none.
    disk.fill(1);
    const full = await box.run(['--once'], { env: disk.env() });
    assert.equal(full.code, 4, full.stderr);
    assertClearMessage(full.stderr, `cannot write ${box.configFile}: no space left on the device`, 'left as it was');
    assert.deepEqual(readFileSync(box.configFile), synced, 'the config is byte-identical');
    assert.equal(mtimeNs(box.configFile), mtime);
    assert.deepEqual(
      configLeftovers(disk.dir).filter((n) => n.startsWith('config.sso-sync.lock')),
      [],
      'no lock left behind',
    );
    await t.test('no temp file left behind', () => assert.deepEqual(configLeftovers(disk.dir), []));
    const status = JSON.parse((await box.run(['status', '--json'])).stdout) as {
      sessions: { lastSync: { outcome: string; message: string } }[];
    };
    assert.equal(
      status.sessions[0]?.lastSync.outcome,
      'failed',
      `status tells of the failed sync: ${JSON.stringify(status)}`,
    );
    assert.match(status.sessions[0].lastSync.message, /no space left on the device/);

    disk.free();
    const again = await box.run(['--once'], { env: disk.env() });
    assert.equal(again.code, 0, again.stderr);
    const text = readFileSync(box.configFile, 'latin1');
    assert.deepEqual(
      outsideBlock(text),
      outsideBlock(synced.toString('latin1')),
      'the bytes outside the block are kept',
    );
    assert.match(text, /^sso_account_id = 900000000000$/m, 'the change is written');
    assert.equal(
      profileNames(text).length,
      roleCount(withNewAccounts(1)) + 1,
      "whole: every generated profile and the person's own",
    );
    assert.deepEqual(configLeftovers(disk.dir), [], 'no temp file or lock left after the recovery');
    t.diagnostic(`ran in ${Date.now() - started} ms`);
  });

  test(`[${kind}] the AWS config on a disk with not a page left: exit 4, a clear message, the file byte-identical`, async (t) => {
    const w = await world(t, kind, (home) => path.join(home, '.aws'));
    if (!w) return;
    const { box, disk } = w;
    mkdirSync(path.join(box.home, '.aws', 'sso', 'cache'), { recursive: true, mode: 0o700 });
    box.writeConfig(ownLines(disk.page));
    box.signIn();
    const before = readFileSync(box.configFile);
    disk.fill(0);
    const full = await box.run(['--once'], { env: disk.env() });
    assert.equal(full.code, 4, full.stderr);
    assertClearMessage(full.stderr, path.dirname(box.configFile), 'no space left on the device', 'Nothing was written');
    assert.deepEqual(readFileSync(box.configFile), before);
    assert.deepEqual(
      configLeftovers(disk.dir).filter((n) => n === 'config.sso-sync.lock' || n.endsWith('.tmp')),
      [],
      'no lock, no temp file',
    );
    await t.test('no lock claim file left behind', () => assert.deepEqual(configLeftovers(disk.dir), []));
    await t.test('the advice fits a full disk', () => assert.doesNotMatch(full.stderr, /permission/));
  });

  test(`[${kind}] the state directory on a full disk: the sync is written whole, the log file's failure is said once, state.json is kept; with space again the history survives the cut line`, async (t) => {
    const started = Date.now();
    const w = await world(t, kind, (home) => path.join(home, '.local', 'state'));
    if (!w) return;
    const { box, disk } = w;
    box.writeConfig(ownLines(4096));
    box.signIn();
    const first = await box.run(['--once']);
    assert.equal(first.code, 0, first.stderr);
    const stateFile = path.join(disk.dir, 'sso-sync', 'state.json');
    const logFile = path.join(disk.dir, 'sso-sync', 'sso-sync.log');
    const stateBefore = readFileSync(stateFile);

    // Not a page left: the log lines of 40 new profiles fill the slack of the log file's last page, one is cut,
    // the rest fail; state.json's new temp file finds no page.
    const bigger = withNewAccounts(40);
    box.emulator.setFixture(bigger);
    disk.fill(0);
    const full = await box.run(['--once'], { env: disk.env() });
    assert.equal(full.code, 0, full.stderr);
    assert.equal(full.stderr, '', 'nothing on stderr: the sync succeeded');
    const text = readFileSync(box.configFile, 'utf8');
    assert.equal(profileNames(text).length, roleCount(bigger), 'the sync is written, whole');
    const lines = logLines(full.stdout);
    const failed = lines.filter((l) => l.event === 'log.file_failed');
    assert.equal(failed.length, 1, "the log file's failure is said once");
    assert.equal(failed[0]!.file, logFile);
    assert.match(String(failed[0]!.msg), /could not write the log file .*no space left on device/);
    assert.equal(lines.filter((l) => l.event === 'profile.added').length, 40, 'every line still reaches the output');
    assert.deepEqual(readFileSync(stateFile), stateBefore, 'state.json is kept as it was');
    assert.deepEqual(
      readdirSync(path.dirname(stateFile)).filter((n) => n.startsWith('state.json.') || n === 'state.lock'),
      [],
      'no temp file of state.json, no lock left',
    );
    assert.ok(
      !readFileSync(logFile, 'utf8').endsWith('\n'),
      'the full disk cut a line short (the case the next run must cope with)',
    );

    // Space again: the next run's first line is not lost with the cut line before it.
    disk.free();
    box.emulator.setFixture(withNewAccounts(41));
    const again = await box.run(['--once'], { env: disk.env() });
    assert.equal(again.code, 0, again.stderr);
    const history = (await box.run(['log', '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(
      history.some((e) => e.event === 'profile.added' && e.accountId === '900000000040'),
      `the profile added after the full disk is in the history; the log file ends:\n${readFileSync(logFile, 'utf8').slice(-1200)}`,
    );
    assert.ok(
      history.filter((e) => e.event === 'profile.added').length >= roleCount(builtinFixture()),
      "the first run's history is kept",
    );
    const human = await box.run(['log']);
    assert.match(human.stdout, /1 damaged line was skipped/, 'the one cut line is counted, nothing more');
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as {
      sessions: Record<string, { outcome: string; profiles: number }>;
    };
    assert.deepEqual(
      [state.sessions.mycorp?.outcome, state.sessions.mycorp?.profiles],
      ['ok', roleCount(withNewAccounts(41))],
      'state.json is written again',
    );
    t.diagnostic(`ran in ${Date.now() - started} ms`);
  });

  test(`[${kind}] the state directory on a full disk while a hand-edited block is replaced: the backup cannot be saved, so nothing is written`, async (t) => {
    const w = await world(t, kind, (home) => path.join(home, '.local', 'state'));
    if (!w) return;
    const { box, disk } = w;
    box.writeConfig(ownLines(4096));
    box.signIn();
    assert.equal((await box.run(['--once'])).code, 0);
    const edited = readFileSync(box.configFile, 'utf8').replace(
      /^(\[profile mycorp-prod-admin\]\n(?:.*\n)*?region = )eu-north-1$/m,
      '$1us-east-1',
    );
    assert.match(edited, /region = us-east-1/);
    writeFileSync(box.configFile, edited);
    disk.fill(0);
    const full = await box.run(['--once'], { env: disk.env() });
    assert.equal(full.code, 4, full.stderr);
    assertClearMessage(full.stderr, 'no space left on the device');
    assert.equal(
      readFileSync(box.configFile, 'utf8'),
      edited,
      'the hand edit is not lost: the file is not replaced without its backup',
    );
    assert.deepEqual(
      readdirSync(path.dirname(box.configFile)).filter((n) => n.endsWith('.tmp') || n.includes('.lock')),
      [],
      'no temp file, no lock beside the config',
    );
    const backups = path.join(disk.dir, 'sso-sync', 'backups');
    await t.test('no truncated backup left behind', () => {
      for (const n of existsSync(backups) ? readdirSync(backups) : [])
        assert.equal(readFileSync(path.join(backups, n), 'utf8'), edited, `${n} is whole`);
    });
    await t.test('the message names where the space is missing', () =>
      assert.ok(full.stderr.includes(backups), full.stderr),
    );
  });

  test(`[${kind}] the token cache on a full disk during a refresh: sign-in required naming the file, the old token file byte-identical, no temp file left; a sign-in once space is freed works`, async (t) => {
    const started = Date.now();
    const w = await world(t, kind, (home) => path.join(home, '.aws', 'sso', 'cache'));
    if (!w) return;
    const { box, disk } = w;
    box.writeConfig(sessionSection());
    const login = await box.loginWithBrowser();
    assert.equal(login.code, 0, login.stderr);
    const file = tokenCachePath(box.home, 'mycorp');
    // Inside the refresh window, and longer than a page (another tool's key, which a refresh keeps).
    const cached = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    writeFileSync(
      file,
      JSON.stringify({
        ...cached,
        expiresAt: new Date(Date.now() + 10 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
        otherToolNote: 'n'.repeat(disk.page + 500),
      }),
    );
    const before = readFileSync(file);
    const config = readFileSync(box.configFile);

    // One page left: the refreshed token (two pages) gets a short write, which must not replace the old file.
    disk.fill(1);
    const full = await box.run(['--once'], { env: disk.env() });
    assert.equal(full.code, 3, full.stderr);
    assertClearMessage(
      full.stderr,
      `was refreshed but could not be written to ${file}`,
      'sso-sync login --session mycorp',
    );
    assert.deepEqual(readFileSync(file), before, 'the old token file is byte-identical');
    assert.deepEqual(
      readdirSync(disk.dir).filter((n) => n !== fillerName),
      [path.basename(file)],
      'no temp file left',
    );
    assert.deepEqual(readFileSync(box.configFile), config, 'the config is left alone');
    await t.test('the message says the disk is full', () => {
      assert.match(full.stderr, /no space left on the device/);
      assert.doesNotMatch(full.stderr, /permission/);
    });

    disk.free();
    const relogin = await box.loginWithBrowser();
    assert.equal(relogin.code, 0, relogin.stderr);
    assert.ok(
      (await readToken(box.home, 'mycorp')).expiresAt.getTime() > Date.now() + 30 * 60_000,
      'a fresh token is cached',
    );
    t.diagnostic(`ran in ${Date.now() - started} ms`);
  });

  test(`[${kind}] sso-sync login with a full token cache: it fails, the old token file byte-identical, no temp file left`, async (t) => {
    const w = await world(t, kind, (home) => path.join(home, '.aws', 'sso', 'cache'));
    if (!w) return;
    const { box, disk } = w;
    box.writeConfig(sessionSection());
    assert.equal((await box.loginWithBrowser()).code, 0);
    const file = tokenCachePath(box.home, 'mycorp');
    const before = readFileSync(file);
    disk.fill(0);
    const result = await box.loginWithBrowser({ env: disk.env() });
    assert.notEqual(result.code, 0, 'a sign-in whose token cannot be kept is not a success');
    assert.match(result.stderr, /no space left on (the )?device/);
    assert.deepEqual(readFileSync(file), before, 'the old token file is byte-identical');
    assert.deepEqual(
      readdirSync(disk.dir).filter((n) => n !== fillerName),
      [path.basename(file)],
      'no temp file left',
    );
    await t.test('one clear line naming the file and the full disk, no stack trace', () => {
      const messages = result.stderr
        .split('\n')
        .filter((l) => l.startsWith('sso-sync:') || /^\s+at /.test(l))
        .join('\n');
      assertClearMessage(messages, file, 'no space left on the device');
    });
  });

  test(`[${kind}] the cache and state writers, in-process: a write that does not fit fails and leaves the old file whole`, async (t) => {
    // After hooks run in the order they were added: the tmpfs is unmounted before its directory is removed.
    const cleanups: (() => void)[] = [];
    t.after(() => {
      for (const fn of cleanups) fn();
    });
    const root = tempDir(t, 'sso-sync-disk-full-');
    const disk = smallDisk(t, kind, path.join(root, 'disk'), (fn) => cleanups.push(fn));
    if (!disk) return;
    const home = disk.dir;
    const token = accessOnlyToken({
      startUrl: 'https://d-1234567890.awsapps.com/start',
      region: 'eu-north-1',
      accessToken: 'not-a-real-token',
      expiresAt: new Date(Date.now() + 3600_000),
      other: { note: 'o'.repeat(disk.page + 500) },
    });
    const file = await writeToken(home, 'mycorp', token);
    const tokenBefore = readFileSync(file);
    const stateDir = path.join(home, 'state');
    const sessions = Array.from({ length: Math.ceil(disk.page / 100) + 10 }, (_, i) => `session-${i}`);
    await recordRunFailure(stateDir, sessions, new SsoSyncError('config.refused', 'refused before'), new Date());
    const stateBefore = readFileSync(path.join(stateDir, 'state.json'));
    assert.ok(tokenBefore.length > disk.page && stateBefore.length > disk.page, 'both files are longer than a page');

    // One page left for each: the new file (over a page) gets a short write, then ENOSPC.
    disk.fill(1);
    await disk.inProcess(() =>
      assert.rejects(
        writeToken(home, 'mycorp', { ...token, accessToken: 'another-fake-token' }),
        (e: NodeJS.ErrnoException) => e.code === 'ENOSPC',
      ),
    );
    disk.fill(1);
    await disk.inProcess(() =>
      assert.rejects(
        recordRunFailure(stateDir, sessions, new SsoSyncError('config.refused', 'refused after'), new Date()),
        (e: NodeJS.ErrnoException) => e.code === 'ENOSPC',
      ),
    );
    assert.deepEqual(readFileSync(file), tokenBefore, 'the token file is whole');
    assert.deepEqual(readFileSync(path.join(stateDir, 'state.json')), stateBefore, 'state.json is whole');
    assert.equal((await readState(stateDir)).sessions['session-0']?.message, 'refused before');
    assert.deepEqual(readdirSync(path.dirname(file)), [path.basename(file)], 'no temp file beside the token');
    assert.deepEqual(
      readdirSync(stateDir).filter((n) => n !== 'state.json'),
      [],
      'no temp file or lock beside state.json',
    );

    disk.free();
    await writeToken(home, 'mycorp', { ...token, accessToken: 'another-fake-token' });
    assert.equal(
      (await readToken(home, 'mycorp')).accessToken,
      'another-fake-token',
      'with space again, the write goes through',
    );
  });
}
