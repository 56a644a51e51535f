/**
 * Scheduled cycles in process against the emulator, on a clock the test moves forward by hours: the emulator counts
 * the requests of each operation and names the accounts whose roles were asked for.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { createSsoApi } from '../../src/aws/sso-api.js';
import { systemClock } from '../../src/clock/clock.js';
import { generateFixture, type Fixture } from '../../src/emulator/fixture.js';
import { startEmulator } from '../../src/emulator/server.js';
import { roleCacheFile } from '../../src/paths.js';
import { zeroSettings, type Settings } from '../../src/settings/schema.js';
import { runOnce } from '../../src/sync/run-once.js';
import { writeToken } from '../../src/token/cache.js';
import { accessOnlyToken, syncDeps, useEmulatorEndpoint } from '../helpers/in-process.js';
import { ShiftedClock } from '../helpers/shifted-clock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { recordingLog } from '../daemon/harness.js';

const minute = 60_000;
const hour = 60 * minute;
const startUrl = 'https://d-1234567890.awsapps.com/start';

/** A signed-in home and an emulator serving `fixture`; `sync` runs one cycle and says what the emulator saw. */
async function world(t: TestContext, fixture: Fixture, settings: Partial<Settings['sync']> = {}) {
  const emulator = await startEmulator({ fixture });
  t.after(() => emulator.stop());
  useEmulatorEndpoint(t, emulator);
  const home = tempDir(t, 'sso-sync-incremental-');
  const config = path.join(home, '.aws', 'config');
  mkdirSync(path.dirname(config), { recursive: true });
  writeFileSync(config, `[sso-session mycorp]\nsso_start_url = ${startUrl}\nsso_region = eu-north-1\n`);
  const { accessToken } = emulator.issueAccessToken({ expiresInSeconds: 30 * 86400 });
  // From the next midnight (UTC), so that where the accounts' turns fall against the cycles is the same in every
  // run, whatever the time of day.
  const clock = new ShiftedClock(Math.ceil(Date.now() / 86_400_000) * 86_400_000);
  await writeToken(
    home,
    'mycorp',
    accessOnlyToken({ startUrl, region: 'eu-north-1', accessToken, expiresAt: new Date(clock.now() + 30 * 86400_000) }),
  );
  const rolesAskedFor: string[] = [];
  emulator.setReplyHook((route, reply, request) => {
    if (route === 'roles') rolesAskedFor.push(request.query.get('account_id') ?? '');
    return reply;
  });
  const base = zeroSettings();
  const s: Settings = { ...base, sync: { ...base.sync, ...settings } };
  const { log, lines } = recordingLog();
  /** The pace each cycle's portal client was given. */
  const paces: (number | undefined)[] = [];
  const createApi = (region: string, options: { maxRate?: number }) => {
    paces.push(options.maxRate);
    return createSsoApi(region, systemClock);
  };
  const sync = async (options: { incremental?: boolean; fullScan?: string[] } = {}) => {
    const before = emulator.stats().byRoute;
    rolesAskedFor.length = 0;
    const report = await runOnce(syncDeps(home, { clock, log, createApi }), {
      sessions: [],
      dryRun: false,
      allowMassRemoval: false,
      settingsFile: undefined,
      settings: s,
      ...options,
    });
    const after = emulator.stats().byRoute;
    const completed = lines.filter((l) => l.event === 'sync.completed').at(-1);
    return {
      report,
      accounts: (after.accounts ?? 0) - (before.accounts ?? 0),
      roles: (after.roles ?? 0) - (before.roles ?? 0),
      rolesFor: [...rolesAskedFor].sort(),
      completed,
      pace: paces.at(-1),
    };
  };
  const profiles = () => readFileSync(config, 'utf8').match(/^\[profile .*\]$/gm) ?? [];
  return {
    emulator,
    home,
    clock,
    sync,
    profiles,
    lines,
    cacheFile: roleCacheFile(path.join(home, 'state', 'sso-sync'), 'mycorp'),
  };
}

const ids = (f: Fixture) => f.accounts.map((a) => a.accountId);

test('a scheduled cycle after a full sync lists roles only for the new accounts and the share whose turn came', async (t) => {
  const fixture = generateFixture({ accounts: 240, rolesPerAccount: 2, seed: 7 });
  const w = await world(t, fixture);
  const full = await w.sync();
  assert.equal(full.accounts, 3, 'ListAccounts: one request per 100 accounts');
  assert.equal(full.roles, 240, 'a full scan lists every account');
  assert.equal(w.profiles().length, 480);
  assert.equal(full.pace, undefined, 'a full scan runs as fast as the portal allows');
  assert.equal(statSync(w.cacheFile).mode & 0o777, 0o600, 'the role cache is private');

  // Half an hour later, three accounts are new.
  const grown = generateFixture({ accounts: 243, rolesPerAccount: 2, seed: 7 });
  const added = ids(grown).filter((id) => !ids(fixture).includes(id));
  assert.equal(added.length, 3);
  w.emulator.setFixture(grown);
  w.clock.advance(30 * minute);
  const cycle = await w.sync({ incremental: true });
  assert.equal(cycle.accounts, 3);
  assert.equal(cycle.pace, 3, 'a scheduled cycle takes its time: 3 requests a second');
  // 6 h over 30-minute cycles: each cycle re-reads a twelfth of the accounts.
  const share = cycle.roles - 3;
  assert.ok(share >= 19 && share <= 22, `roles listed for ${share} known accounts; a twelfth of 243 is 20.25`);
  for (const id of added) assert.ok(cycle.rolesFor.includes(id), `new account ${id} listed at once`);
  assert.equal(w.profiles().length, 486, 'the new accounts have their profiles');
  assert.deepEqual(
    [cycle.completed?.full, cycle.completed?.rolesListed, cycle.completed?.requests],
    [false, cycle.roles, cycle.roles + 3],
    'sync.completed says how the roles were scanned',
  );

  // The next cycle lists the next share, none of the known accounts listed just now. (A new account was listed off
  // its turn, when it appeared; when its turn falls in the next half hour it is listed then too.)
  w.clock.advance(30 * minute);
  const next = await w.sync({ incremental: true });
  assert.ok(next.roles >= 19 && next.roles <= 22, `${next.roles} listed`);
  assert.deepEqual(
    next.rolesFor.filter((id) => cycle.rolesFor.includes(id) && !added.includes(id)),
    [],
    'an account is listed once a turn',
  );
});

test('a role granted on a known account appears within roles_max_age', async (t) => {
  const fixture = generateFixture({ accounts: 40, rolesPerAccount: 1, seed: 3 });
  const w = await world(t, fixture);
  await w.sync();
  const target = fixture.accounts[17]!;
  const granted: Fixture = {
    accounts: fixture.accounts.map((a) => (a === target ? { ...a, roles: [...a.roles, 'GrantedLater'] } : a)),
  };
  w.emulator.setFixture(granted);
  const grantedAt = w.clock.now();
  let seenAfter: number | undefined;
  let cycles = 0;
  while (seenAfter === undefined && cycles < 20) {
    w.clock.advance(30 * minute);
    cycles++;
    await w.sync({ incremental: true });
    if (w.profiles().some((p) => p.includes('GrantedLater'))) seenAfter = w.clock.now() - grantedAt;
  }
  assert.ok(seenAfter !== undefined, 'the role appeared');
  assert.ok(seenAfter <= 6 * hour, `it appeared ${seenAfter / hour} h after the grant`);
  const sawIt = w.lines.filter((l) => l.event === 'profile.added' && String(l.role) === 'GrantedLater');
  assert.equal(sawIt.length, 1);
});

test('an account that leaves ListAccounts loses its profiles in the next cycle; the removal guard still holds', async (t) => {
  const fixture = generateFixture({ accounts: 30, rolesPerAccount: 2, seed: 5 });
  const w = await world(t, fixture);
  await w.sync();
  const gone = fixture.accounts[4]!;
  w.emulator.setFixture({ accounts: fixture.accounts.filter((a) => a !== gone) });
  w.clock.advance(30 * minute);
  const cycle = await w.sync({ incremental: true });
  assert.equal(w.profiles().length, 58);
  assert.deepEqual(
    w.lines.filter((l) => l.event === 'profile.removed').map((l) => l.accountId),
    [gone.accountId, gone.accountId],
  );
  assert.ok(!cycle.rolesFor.includes(gone.accountId));
  const cache = JSON.parse(readFileSync(w.cacheFile, 'utf8')) as { accounts: Record<string, unknown> };
  assert.equal(cache.accounts[gone.accountId], undefined, 'the cache forgets it');

  // Most accounts leave at once: held, as in a full scan.
  w.emulator.setFixture({ accounts: fixture.accounts.slice(0, 5) });
  w.clock.advance(30 * minute);
  const held = await w.sync({ incremental: true });
  assert.equal(held.report.exitCode, 1);
  assert.ok(held.report.outcomes[0]?.held, 'the removal guard held the update');
  assert.equal(w.profiles().length, 58, 'the block is left as it was');
});

test('roles_max_age 0 keeps the full scan every cycle; a session just signed in to is scanned fully', async (t) => {
  const fixture = generateFixture({ accounts: 12, rolesPerAccount: 1, seed: 9 });
  const zero = await world(t, fixture, { rolesMaxAgeMs: 0 });
  await zero.sync();
  zero.clock.advance(30 * minute);
  const again = await zero.sync({ incremental: true });
  assert.equal(again.roles, 12);
  assert.equal(again.completed?.full, true);

  // Turns days apart: nothing is due a minute later.
  const w = await world(t, fixture, { rolesMaxAgeMs: 30 * 24 * hour });
  await w.sync();
  w.clock.advance(minute);
  assert.equal((await w.sync({ incremental: true })).roles, 0, 'nothing is due a minute later');
  const signedIn = await w.sync({ incremental: true, fullScan: ['mycorp'] });
  assert.equal(signedIn.roles, 12);
  assert.equal(signedIn.completed?.full, true);
});

test('a damaged, foreign or unreadable role cache is not trusted: a warning, a full scan, and a new cache', async (t) => {
  const fixture = generateFixture({ accounts: 10, rolesPerAccount: 1, seed: 11 });
  // Turns days apart: only a cache not used makes a cycle list any roles here.
  const w = await world(t, fixture, { rolesMaxAgeMs: 30 * 24 * hour });
  await w.sync();
  const good = readFileSync(w.cacheFile, 'utf8');
  const cases: [string, () => void, RegExp][] = [
    ['cut short', () => writeFileSync(w.cacheFile, good.slice(0, 100)), /not valid JSON/],
    [
      'of another start URL',
      () => writeFileSync(w.cacheFile, good.replace(startUrl, 'https://d-9999999999.awsapps.com/start')),
      /belongs to https:\/\/d-9999999999\.awsapps\.com\/start/,
    ],
    [
      'roles of the wrong type',
      () => writeFileSync(w.cacheFile, good.replace(/"roles":\["[^"]+"\]/, '"roles":"AdministratorAccess"')),
      /not a role cache of this version/,
    ],
  ];
  for (const [what, damage, why] of cases) {
    damage();
    w.clock.advance(minute);
    const warnings = w.lines.filter((l) => l.event === 'roles.cache_ignored').length;
    const cycle = await w.sync({ incremental: true });
    const warning = w.lines.filter((l) => l.event === 'roles.cache_ignored')[warnings];
    assert.match(String(warning?.msg), why, what);
    assert.equal(cycle.roles, 10, `${what}: every account listed`);
    assert.equal(cycle.completed?.full, true);
    assert.equal(w.profiles().length, 10);
    const rebuilt = JSON.parse(readFileSync(w.cacheFile, 'utf8')) as { startUrl: string; accounts: object };
    assert.equal(rebuilt.startUrl, startUrl, `${what}: rebuilt`);
    assert.equal(Object.keys(rebuilt.accounts).length, 10);
    w.clock.advance(minute);
    assert.equal((await w.sync({ incremental: true })).roles, 0, `${what}: the rebuilt cache is used`);
  }

  // A directory in its place: it cannot be read nor replaced; each cycle says so and scans fully, and the sync works.
  rmSync(w.cacheFile);
  mkdirSync(w.cacheFile);
  const cycle = await w.sync({ incremental: true });
  assert.equal(cycle.report.exitCode, 0);
  assert.equal(cycle.roles, 10);
  assert.match(String(w.lines.filter((l) => l.event === 'roles.cache_ignored').at(-1)?.msg), /cannot be read/);
  assert.match(String(w.lines.find((l) => l.event === 'roles.cache_unwritten')?.msg), /could not be kept/);
});
