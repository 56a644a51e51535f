/** `sso-sync log`: the history read back from the current and rotated log files. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import fc from 'fast-check';
import type { Clock } from '../../src/clock/clock.js';
import { SsoSyncError } from '../../src/errors.js';
import { acquireLock, type LockTakeover } from '../../src/fs/lock-file.js';
import { parseHistory } from '../../src/history/history.js';
import { logCommand } from '../../src/history/log-command.js';
import { listLogFiles, readLogFiles } from '../../src/history/log-files.js';
import { parseSince } from '../../src/history/since.js';
import { createLogger } from '../../src/log/logger.js';
import { rotationLockPath } from '../../src/log/rotating-file.js';
import { leaveDeadLock } from '../fs/dead-lock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runWriter } from '../log/fixtures/run-writer.js';

// Readable lines show local time; the expectations below are in UTC.
process.env.TZ = 'UTC';

const now = new Date('2026-11-21T09:00:00Z');
const line = (o: Record<string, unknown>) => `${JSON.stringify({ level: 'info', ...o })}\n`;
const added = (time: string, profile: string, accountId: string, role: string, extra: Record<string, unknown> = {}) =>
  line({
    time,
    event: 'profile.added',
    session: 'mycorp',
    profile,
    accountId,
    role,
    msg: `${profile} added`,
    ...extra,
  });

/** A temp HOME whose state directory holds these log files (name -> content). */
function home(t: TestContext, files: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dir = tempDir(t, 'sso-sync-history-');
  const state = path.join(dir, '.local', 'state', 'sso-sync');
  mkdirSync(state, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(state, name), text);
  return { HOME: dir };
}

async function show(
  env: NodeJS.ProcessEnv,
  options: { since?: string; session?: string; json?: boolean } = {},
): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await logCommand({ ...options, json: options.json ?? false, env, now, out: (t) => (text += t) });
  return { code, text };
}

/** Three files as rotation leaves them, with what a real log also holds: other events, dry runs, damage. */
const rotated = {
  'sso-sync.log.2':
    added('2026-11-10T08:00:00.000Z', 'prod-admin', '111111111111', 'AdministratorAccess') +
    '{"level":"info","time":"2026-11-10T08:00:01.000Z","event":"profile.add\n' + // cut short by a crash: damaged
    added('2026-11-10T08:00:02.000Z', 'dry-run-only', '111111111111', 'ReadOnlyAccess', { dryRun: true }) +
    line({ time: '2026-11-10T08:00:03.000Z', event: 'sync.completed', session: 'mycorp', added: 1 }) +
    line({ time: '2026-11-10T09:00:00.000Z', event: 'token.refreshed', session: 'mycorp', accessToken: '[redacted]' }),
  'sso-sync.log.1':
    line({
      time: '2026-11-15T10:30:00.000Z',
      event: 'profile.changed',
      session: 'mycorp',
      profile: 'dev-readonly',
      accountId: '222222222222',
      role: 'ReadOnlyAccess',
      // As a line written by something other than sso-sync might be: a secret value unmasked, a token field.
      keys: [
        { key: 'region', before: 'eu-west-1', after: 'eu-central-1' },
        { key: 'aws_session_token', before: 'OLD-SECRET', after: 'NEW-SECRET' },
      ],
      accessToken: 'TOKEN-SECRET',
      msg: 'dev-readonly changed (region, aws_session_token)',
    }) +
    'not json at all\n' +
    '\n' +
    line({
      time: '2026-11-16T07:00:00.000Z',
      event: 'sync.held',
      session: 'other',
      wouldRemove: 30,
      of: 40,
      maxRemovalShare: 0.5,
      msg: 'held',
    }) +
    line({
      time: '2026-11-16T07:05:00.000Z',
      level: 'error',
      event: 'login.required',
      session: 'other',
      code: 'sign-in.required',
      msg: 'token for sso-session other expired: run `sso-sync login --session other`',
    }),
  'sso-sync.log':
    line({
      time: '2026-11-21T08:00:00.000Z',
      event: 'profile.removed',
      session: 'mycorp',
      profile: 'old-thing',
      accountId: '333333333333',
      role: 'PowerUserAccess',
      msg: 'old-thing removed',
    }) +
    // Written late into a file that another process had just rotated: the reader orders by time.
    added('2026-11-14T12:00:00.000Z', 'sandbox-admin', '444444444444', 'AdministratorAccess') +
    line({
      time: '2026-11-21T08:01:00.000Z',
      level: 'warn',
      event: 'block.edited',
      session: 'mycorp',
      replaced: ['profile prod-admin'],
      backup: '/home/ann/.local/state/sso-sync/backups/config-x.bak',
      msg: 'edited',
    }) +
    line({
      time: '2026-11-21T08:02:00.000Z',
      event: 'login.completed',
      session: 'other',
      flow: 'device-code',
      expiresAt: '2026-11-21T16:02:00.000Z',
      refreshable: true,
      msg: 'signed in',
    }) +
    line({
      time: '2026-11-21T08:03:00.000Z',
      level: 'error',
      event: 'sync.failed',
      session: 'mycorp',
      code: 'aws.failed',
      msg: 'listing accounts failed: ThrottlingException (HTTP 429)\nafter 4 attempts',
    }) +
    '{"level":"info","time":"2026-11-21T08:04:00.000Z","event":"profile.ad', // being written right now: not damage
};

test('the history from the current and rotated files, oldest first, aligned, with a summary', async (t) => {
  const env = home(t, rotated);
  const { code, text } = await show(env);
  assert.equal(code, 0);
  assert.equal(
    text,
    [
      '2026-11-10 08:00  mycorp  + prod-admin     111111111111  AdministratorAccess',
      '2026-11-14 12:00  mycorp  + sandbox-admin  444444444444  AdministratorAccess',
      '2026-11-15 10:30  mycorp  ~ dev-readonly   222222222222  ReadOnlyAccess  region: eu-west-1 -> eu-central-1; aws_session_token: ******** -> ********',
      '2026-11-16 07:00  other   ! update held: it would have removed 30 of 40 profiles; the block was left as it was',
      '2026-11-16 07:05  other   ? sign-in required: token for sso-session other expired: run `sso-sync login --session other`',
      '2026-11-21 08:00  mycorp  - old-thing      333333333333  PowerUserAccess',
      '2026-11-21 08:01  mycorp  * hand edits to the block replaced (profile prod-admin); previous file saved in /home/ann/.local/state/sso-sync/backups/config-x.bak',
      '2026-11-21 08:02  other   > signed in (device-code)',
      '2026-11-21 08:03  mycorp  x sync failed: listing accounts failed: ThrottlingException (HTTP 429) after 4 attempts',
      '9 entries: 2 added, 1 removed, 1 changed, 1 update held, 1 failed sync, 1 sign-in required, 1 sign-in, 1 hand-edited block replaced ' +
        '(read from ~/.local/state/sso-sync/sso-sync.log and 2 rotated files). 2 damaged lines were skipped.',
      '',
    ].join('\n'),
  );
  assert.doesNotMatch(text, /SECRET|dry-run-only|token\.refreshed/);
});

test('--json: one object a line with stable fields, no dry run, no secret', async (t) => {
  const { code, text } = await show(home(t, rotated), { json: true });
  assert.equal(code, 0);
  assert.doesNotMatch(text, /SECRET|dry-run-only/);
  const objects = text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(objects.length, 9);
  for (const o of objects)
    assert.deepEqual(Object.keys(o).slice(0, 6), ['time', 'event', 'session', 'profile', 'accountId', 'role']);
  assert.deepEqual(objects[0], {
    time: '2026-11-10T08:00:00.000Z',
    event: 'profile.added',
    session: 'mycorp',
    profile: 'prod-admin',
    accountId: '111111111111',
    role: 'AdministratorAccess',
  });
  assert.deepEqual(objects[2], {
    time: '2026-11-15T10:30:00.000Z',
    event: 'profile.changed',
    session: 'mycorp',
    profile: 'dev-readonly',
    accountId: '222222222222',
    role: 'ReadOnlyAccess',
    keys: [
      { key: 'region', before: 'eu-west-1', after: 'eu-central-1' },
      { key: 'aws_session_token', before: '********', after: '********' },
    ],
  });
  assert.deepEqual(objects[3], {
    time: '2026-11-16T07:00:00.000Z',
    event: 'sync.held',
    session: 'other',
    profile: null,
    accountId: null,
    role: null,
    wouldRemove: 30,
    of: 40,
    message: 'held',
  });
  assert.deepEqual(
    objects.map((o) => o.event),
    [
      'profile.added',
      'profile.added',
      'profile.changed',
      'sync.held',
      'login.required',
      'profile.removed',
      'block.edited',
      'login.completed',
      'sync.failed',
    ],
  );
});

test('--since a duration or a date, and --session, narrow the history', async (t) => {
  const env = home(t, rotated);
  const week = await show(env, { since: '7d', json: true });
  assert.deepEqual(
    week.text
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { time: string }).time),
    [
      '2026-11-14T12:00:00.000Z',
      '2026-11-15T10:30:00.000Z',
      '2026-11-16T07:00:00.000Z',
      '2026-11-16T07:05:00.000Z',
      '2026-11-21T08:00:00.000Z',
      '2026-11-21T08:01:00.000Z',
      '2026-11-21T08:02:00.000Z',
      '2026-11-21T08:03:00.000Z',
    ],
  );
  const hour = await show(env, { since: '1h' });
  assert.equal(hour.text.split('\n').length - 2, 4);
  assert.match(
    hour.text,
    /^4 entries since 2026-11-21 08:00: 1 removed, 1 failed sync, 1 sign-in, 1 hand-edited block replaced \(read from /m,
  );
  const mine = await show(env, { session: 'mycorp', since: '2026-11-21T08:00:00Z' });
  assert.match(
    mine.text,
    /^3 entries since 2026-11-21 08:00 for sso-session mycorp: 1 removed, 1 failed sync, 1 hand-edited block replaced \(read from /m,
  );
  assert.doesNotMatch(mine.text, / other /);

  const fromDate = await show(env, { since: '2026-11-16', session: 'other', json: true });
  assert.deepEqual(
    fromDate.text
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { event: string }).event),
    ['sync.held', 'login.required', 'login.completed'],
  );

  const none = await show(env, { since: '30m', session: 'mycorp' });
  assert.equal(
    none.text,
    'Nothing since 2026-11-21 08:30 for sso-session mycorp. The history in ~/.local/state/sso-sync/sso-sync.log and 2 rotated files has 9 entries from 2026-11-10 08:00 to 2026-11-21 08:03. 2 damaged lines were skipped.\n',
  );
  assert.equal((await show(env, { since: '30m', json: true })).text, '', '--json prints nothing when nothing matches');
});

test('a --since that is neither a duration nor a date is a usage error', async (t) => {
  const env = home(t, rotated);
  for (const bad of [
    '',
    '7',
    '7x',
    '-1d',
    '0d',
    '1.5h',
    'yesterday',
    '2026-02-30',
    '2026-13-01',
    '2026-11-21T25:00',
    '21/11/2026',
  ]) {
    await assert.rejects(
      show(env, { since: bad }),
      (e: unknown) =>
        e instanceof SsoSyncError &&
        e.code === 'usage' &&
        e.exitCode === 2 &&
        e.message.includes(`--since ${JSON.stringify(bad)}`) &&
        /30m, 12h, 7d, 2w/.test(e.message),
      `--since ${JSON.stringify(bad)}`,
    );
  }
});

test('parseSince reads durations back from now, local dates and times, and times with an offset', () => {
  const at = (s: string) => parseSince(s, now).toISOString();
  assert.equal(at('30m'), '2026-11-21T08:30:00.000Z');
  assert.equal(at('12h'), '2026-11-20T21:00:00.000Z');
  assert.equal(at('7d'), '2026-11-14T09:00:00.000Z');
  assert.equal(at('2w'), '2026-11-07T09:00:00.000Z');
  assert.equal(at(' 2w '), '2026-11-07T09:00:00.000Z');
  assert.equal(at('2026-11-21'), '2026-11-21T00:00:00.000Z'); // local midnight; TZ is UTC here
  assert.equal(at('2026-11-21T08:15'), '2026-11-21T08:15:00.000Z');
  assert.equal(at('2026-11-21 08:15:30'), '2026-11-21T08:15:30.000Z');
  assert.equal(at('2026-11-21T08:15:30.5Z'), '2026-11-21T08:15:30.500Z');
  assert.equal(at('2026-11-21T08:15:00+02:00'), '2026-11-21T06:15:00.000Z');
  assert.equal(at('2024-02-29'), '2024-02-29T00:00:00.000Z');
  assert.throws(() => parseSince('2026-02-29', now), SsoSyncError);
  assert.throws(() => parseSince('2026-11-21T08:00+24:00', now), SsoSyncError);
});

test('no log file yet, and a log with nothing to show, say so and where the file is', async (t) => {
  const empty = await show(home(t));
  assert.equal(empty.code, 0);
  assert.equal(
    empty.text,
    'No history yet: there is no log file at ~/.local/state/sso-sync/sso-sync.log. Every sso-sync run (--once, login, the daemon) writes one.\n',
  );
  assert.equal((await show(home(t), { json: true })).text, '');

  const quiet = await show(
    home(t, {
      'sso-sync.log':
        line({ time: '2026-11-21T08:00:00.000Z', event: 'sync.completed', session: 'mycorp' }) + 'garbage\n',
    }),
  );
  assert.equal(
    quiet.text,
    'No history yet: ~/.local/state/sso-sync/sso-sync.log holds no profile added, removed, changed or renamed. 1 damaged line was skipped.\n',
  );
});

test('the log files are listed oldest first by number, and nothing else in the directory', async (t) => {
  const env = home(t, {
    'sso-sync.log': '',
    'sso-sync.log.1': '',
    'sso-sync.log.2': '',
    'sso-sync.log.10': '',
    'sso-sync.log.lock': '',
    'sso-sync.log.01': '',
    'sso-sync.log.bak': '',
    'other.log': '',
  });
  const file = path.join(env.HOME!, '.local', 'state', 'sso-sync', 'sso-sync.log');
  assert.deepEqual(
    (await listLogFiles(file)).map((f) => path.basename(f)),
    ['sso-sync.log.10', 'sso-sync.log.2', 'sso-sync.log.1', 'sso-sync.log'],
  );
  assert.deepEqual(await listLogFiles(path.join(env.HOME!, 'nowhere', 'sso-sync.log')), []);
});

test('what createLogger writes to the file, `sso-sync log` reads back', async (t) => {
  const env = home(t);
  const file = path.join(env.HOME!, '.local', 'state', 'sso-sync', 'sso-sync.log');
  // Small files, so that the history spans rotations.
  const log = createLogger({
    fd: 2,
    human: false,
    color: false,
    level: 'silent',
    file: { path: file, maxBytes: 600, maxFiles: 50 },
  });
  for (let i = 0; i < 20; i++) {
    const profile = `account-${String(i).padStart(2, '0')}-admin`;
    log.info(
      {
        event: 'profile.added',
        session: 'mycorp',
        profile,
        accountId: String(100000000000 + i),
        role: 'AdministratorAccess',
      },
      `${profile} added`,
    );
    log.info(
      { event: 'profile.added', session: 'mycorp', dryRun: true, profile: `${profile}-dry`, accountId: '1', role: 'x' },
      'would be added',
    );
  }
  const { text } = await show(env, { json: true });
  const profiles = text
    .trimEnd()
    .split('\n')
    .map((l) => (JSON.parse(l) as { profile: string }).profile);
  assert.deepEqual(
    profiles,
    Array.from({ length: 20 }, (_, i) => `account-${String(i).padStart(2, '0')}-admin`),
  );
  assert.ok((await listLogFiles(file)).length > 5, 'the lines were spread over rotated files');
});

test('any text at all is read without throwing, and no more lines are called damaged than there are', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.constant(added('2026-11-21T08:00:00.000Z', 'p', '111111111111', 'R').trimEnd()),
        ),
      ),
      (lines) => {
        const result = parseHistory([lines.join('\n')]);
        assert.ok(result.damaged <= lines.length);
        for (const e of result.entries) assert.ok(Number.isFinite(e.at));
      },
    ),
  );
});

test('reading while another process logs and rotates sees every line up to a point, none twice, none damaged', async (t) => {
  const env = home(t);
  const file = path.join(env.HOME!, '.local', 'state', 'sso-sync', 'sso-sync.log');
  const count = 4_000;
  const writer = runWriter({
    path: file,
    maxBytes: 4_000,
    maxFiles: 10_000,
    writer: 'a',
    count,
    pad: 20,
    event: 'profile.added',
  });
  const writing = { done: false };
  void writer.done.then(() => (writing.done = true));
  const profiles = async () =>
    (await show(env, { json: true })).text
      .trimEnd()
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { profile: string }).profile);
  // Reads that found lines and checked them while the writer was still at work.
  let reads = 0;
  while (!writing.done) {
    const { text } = await show(env, {});
    if (text.startsWith('No history yet')) continue;
    assert.doesNotMatch(text, /damaged/, 'a reader never sees half a line');
    const seqs = (await profiles()).map((p) => Number(p.slice(2)));
    const sorted = [...seqs].sort((x, y) => x - y);
    assert.deepEqual(
      sorted,
      Array.from({ length: sorted.length }, (_, i) => i),
      `read ${reads + 1}: lines 0 to ${sorted.length - 1}, each once`,
    );
    reads++;
  }
  const result = await writer.done;
  assert.equal(result.code, 0, result.stderr);
  assert.ok(reads > 2, `${reads} reads during the writes`);
  // Once the writer is done, every line it wrote is there, in the order it wrote them.
  assert.deepEqual(
    await profiles(),
    Array.from({ length: count }, (_, i) => `p-${i}`),
  );
});

test('control characters from the log file do not reach the terminal', async (t) => {
  const env = home(t, {
    'sso-sync.log': added('2026-11-21T08:00:00.000Z', 'evil\u001b[2J\rname', '111111111111', 'Role\u0007'),
  });
  const { text } = await show(env);
  assert.match(text, /^2026-11-21 08:00 {2}mycorp {2}\+ evil \[2J name {2}111111111111 {2}Role\n/);
  assert.deepEqual(
    Array.from(text).filter((c) => c < ' ' && c !== '\n'),
    [],
  );
});

test('a rotation lock left by a process killed while rotating does not hold up the reading, and is reported', async (t) => {
  const env = home(t, rotated);
  const file = path.join(env.HOME!, '.local', 'state', 'sso-sync', 'sso-sync.log');
  const slept: number[] = [];
  const clock: Clock = {
    now: () => Date.now(),
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
    setTimer: () => assert.fail('reading the log sets no timer'),
  };
  const reports: LockTakeover[] = [];
  const dead = leaveDeadLock(rotationLockPath(file));
  const texts = await readLogFiles(file, { clock, onTakeover: (r) => reports.push(r) });
  assert.deepEqual(
    texts.map((f) => path.basename(f.file)),
    ['sso-sync.log.2', 'sso-sync.log.1', 'sso-sync.log'],
  );
  assert.deepEqual(
    reports.map((r) => [r.lock, r.reason, r.pid]),
    [[rotationLockPath(file), 'dead', dead]],
  );
  assert.deepEqual(slept, [], 'taken over at once, without waiting');
  assert.ok(!existsSync(rotationLockPath(file)), 'the lock is released after the files are opened');

  // A live holder (a rotation under way) is waited for, on the clock, a little; then the files are read anyway.
  const release = await acquireLock(rotationLockPath(file), { attempts: 0, minDelayMs: 1, maxDelayMs: 1 });
  t.after(release);
  const meanwhile = await readLogFiles(file, { clock, onTakeover: (r) => reports.push(r) });
  assert.equal(meanwhile.length, 3);
  assert.deepEqual(slept, [5, 10, 20, 40, 80, 100, 100, 100, 100, 100]);
  assert.equal(reports.length, 1, "a live holder's lock is not taken over");
});

test('the same trouble in a row is one line with a count and its span; each kind has its own mark', async (t) => {
  const required = (minute: number) =>
    line({
      time: `2026-11-21T10:0${minute}:00.000Z`,
      level: 'error',
      event: 'login.required',
      session: 'mycorp',
      msg: 'the token for sso-session mycorp expired and cannot be refreshed: run `sso-sync login --session mycorp`',
    });
  const held = line({
    time: '2026-11-21T10:05:00.000Z',
    level: 'error',
    event: 'sync.held',
    session: 'mycorp',
    wouldRemove: 5,
    of: 6,
    msg: 'held',
  });
  const env = home(t, { 'sso-sync.log': required(0) + required(1) + required(1) + required(2) + held + required(6) });
  const { code, text } = await show(env);
  assert.equal(code, 0);
  const lines = text.split('\n');
  assert.equal(
    lines[0],
    '2026-11-21 10:00-10:02  mycorp  ? sign-in required x4: the token for sso-session mycorp expired and cannot be ' +
      'refreshed: run `sso-sync login --session mycorp`',
  );
  assert.match(lines[1]!, /^2026-11-21 10:05 {8}mycorp {2}! update held: it would have removed 5 of 6 profiles/);
  assert.match(lines[2]!, /^2026-11-21 10:06 {8}mycorp {2}\? sign-in required: /, 'not folded across another entry');
  assert.match(lines[3]!, /^6 entries: 1 update held, 5 sign-ins required/);
});
