/**
 * Hostile names through the API and its paging: whatever account and role names the portal returns, however it
 * cuts its listings into pages (short pages, empty pages that still carry a next token, an empty last page), a
 * real sync (the SDK's paginators against the emulator, then the whole in-process sync writing a temp config)
 * gets every assignment exactly once, and writes a file that the AWS CLI's parser (Python configparser, strict)
 * and the JS SDK's loader both read as exactly the intended profiles with exactly the intended keys, with nothing
 * outside sso-sync's blocks changed.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import fc from 'fast-check';
import { createSsoApi } from '../../src/aws/sso-api.js';
import { systemClock } from '../../src/clock/clock.js';
import { joinLines } from '../../src/core/config-text.js';
import { matchesAny } from '../../src/core/glob.js';
import { planSync } from '../../src/core/plan.js';
import { defaultRules } from '../../src/core/profile-names.js';
import type { Assignment, ProfileRules, SessionDef } from '../../src/core/types.js';
import type { Fixture } from '../../src/emulator/fixture.js';
import { shapedPage, type PageCursor, type PageShape } from '../../src/emulator/pagination.js';
import { startEmulator, type Emulator } from '../../src/emulator/server.js';
import { zeroSettings, type Settings } from '../../src/settings/schema.js';
import { fetchAssignments } from '../../src/sync/fetch-assignments.js';
import { runOnce, type SyncReport } from '../../src/sync/run-once.js';
import { signInHome, syncDeps, useEmulatorEndpoint } from '../helpers/in-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import {
  accountId12,
  accountName,
  assertOutsideUnchanged,
  assignmentsOf,
  collidingAccountName,
  linesOutside,
  pageShapeArb,
  regionOf,
  roleName,
  rulesArb,
  safeName,
  sessionPool,
  userSection,
  userText,
  validRole,
  readWithSdk,
  type UserSection,
} from '../core/hostile-input.js';
import { pythonAvailable, readWithPython } from '../core/python-config.js';

// ---- what the portal serves, and how it pages it -----------------------------------------------------------

/** An organisation the emulator accepts: 12-digit ids, unique per fixture; any non-empty names, often colliding. */
const fixtureArb: fc.Arbitrary<Fixture> = fc
  .uniqueArray(
    fc.record({
      accountId: accountId12,
      accountName: fc.oneof(
        { weight: 3, arbitrary: accountName.filter((n) => n !== '') },
        // Colliding after sanitising, and exact duplicates when the same one is drawn twice.
        { weight: 2, arbitrary: collidingAccountName },
        // Names whose profiles the person's own sections often hold already.
        { weight: 1, arbitrary: fc.constantFrom('Prod', 'MyCorp Prod', 'Tools', 'Default') },
      ),
      roles: fc.uniqueArray(
        fc.oneof(
          roleName.filter((r) => r !== ''),
          fc.constantFrom('AdministratorAccess', 'ReadOnlyAccess'),
        ),
        { maxLength: 4 },
      ),
    }),
    { maxLength: 12, selector: (a) => a.accountId },
  )
  .map((accounts) => ({ accounts }));

interface Scenario {
  head: UserSection[];
  tail: UserSection[];
  eol: '\n' | '\r\n';
  finalEol: boolean;
  /** An earlier sync, of another organisation through other pages, whose blocks are in the file already. */
  previous: { fixture: Fixture; shape: PageShape | undefined } | undefined;
  fixture: Fixture;
  shape: PageShape | undefined;
  synced: SessionDef[];
  rules: ProfileRules;
  concurrency: number;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    sections: fc.uniqueArray(userSection, { maxLength: 5, selector: (s) => s.id }),
    split: fc.nat(),
    eol: fc.constantFrom<'\n' | '\r\n'>('\n', '\r\n'),
    finalEol: fc.boolean(),
    previous: fc.option(fc.record({ fixture: fixtureArb, shape: pageShapeArb }), { nil: undefined, freq: 3 }),
    fixture: fixtureArb,
    shape: pageShapeArb,
    synced: fc.constantFrom([0], [1], [0, 1]),
    rules: rulesArb,
    concurrency: fc.integer({ min: 1, max: 8 }),
  })
  .map((r) => {
    const k = r.sections.length === 0 ? 0 : r.split % (r.sections.length + 1);
    const { sections, split, synced, ...rest } = r;
    return { ...rest, head: sections.slice(0, k), tail: sections.slice(k), synced: synced.map((i) => sessionPool[i]!) };
  });

/** How many requests listing `items` takes with the shape, at the page size sso-sync asks for. */
function pagesFor(items: number, shape: PageShape | undefined): number {
  const list = Array.from({ length: items }, (_, i) => i);
  let pages = 0;
  let cursor: PageCursor | undefined = { offset: 0, page: 0 };
  while (cursor !== undefined) {
    pages++;
    cursor = shapedPage(list, cursor, 100, shape).next;
  }
  return pages;
}

// ---- one sync, in process, against the emulator -------------------------------------------------------------

interface World {
  emulator: Emulator;
  root: string;
  runs: number;
}

function settingsFor(s: Scenario): Settings {
  const base = zeroSettings();
  return { ...base, sessions: s.synced, rules: s.rules, sync: { ...base.sync, concurrency: s.concurrency } };
}

async function sync(home: string, s: Scenario): Promise<SyncReport> {
  return runOnce(
    syncDeps(home),
    // As `--session a --session b --allow-mass-removal`: another organisation replacing the earlier one may remove
    // every profile, and that is the point here, not the guard.
    {
      sessions: s.synced.map((x) => x.name),
      dryRun: false,
      allowMassRemoval: true,
      settingsFile: undefined,
      settings: settingsFor(s),
    },
  );
}

/** One generated section as it should read back: its header's inner text and its keys. */
interface Generated {
  section: string;
  values: Record<string, string>;
}

async function checkScenario(world: World, s: Scenario): Promise<{ pythonChecked: boolean }> {
  const { emulator } = world;
  const home = path.join(world.root, String(world.runs++));
  const config = path.join(home, '.aws', 'config');
  mkdirSync(path.dirname(config), { recursive: true });
  const tokens = new Map<string, string>();
  for (const session of sessionPool)
    tokens.set(session.name, await signInHome(emulator, home, session.name, session.startUrl, session.region));
  const synced = new Set(s.synced.map((x) => x.name));
  const dropFinalEol = (text: string) => (!s.finalEol && text.endsWith(s.eol) ? text.slice(0, -s.eol.length) : text);

  // The file before: the person's sections, an earlier sync's blocks after the head, then the tail.
  const head = userText(s.head, s.eol);
  writeFileSync(
    config,
    Buffer.from(s.tail.length === 0 && s.previous === undefined ? dropFinalEol(head) : head, 'latin1'),
  );
  if (s.previous !== undefined) {
    emulator.setFixture(s.previous.fixture);
    emulator.setPageShape(s.previous.shape);
    const earlier = await sync(home, s);
    assert.equal(
      earlier.exitCode,
      0,
      `the earlier sync failed: ${earlier.failures.map((f) => f.error.message).join('; ')}`,
    );
  }
  if (s.tail.length > 0) appendFileSync(config, Buffer.from(dropFinalEol(userText(s.tail, s.eol)), 'latin1'));
  const before = readFileSync(config, 'latin1');

  emulator.setFixture(s.fixture);
  emulator.setPageShape(s.shape);

  // (a) The real fetch gets every assignment exactly once, in the API's order, whatever the pages look like, and
  //     the pages really were cut as the shape says (so an empty page with a token was really followed).
  const first = s.synced[0]!;
  const stats = emulator.stats().byRoute;
  const { assignments: fetched, unusable } = await fetchAssignments(
    createSsoApi(first.region, systemClock),
    first,
    tokens.get(first.name)!,
    s.concurrency,
  );
  assert.deepEqual(fetched, assignmentsOf(s.fixture, first.name), 'every assignment arrives exactly once, in order');
  assert.deepEqual(unusable, [], 'every entry of a fixture is usable');
  const now = emulator.stats().byRoute;
  assert.equal(
    (now.accounts ?? 0) - (stats.accounts ?? 0),
    pagesFor(s.fixture.accounts.length, s.shape),
    'ListAccounts requests',
  );
  const rolePages = s.fixture.accounts.reduce((n, a) => n + pagesFor(a.roles.length, s.shape), 0);
  assert.equal((now.roles ?? 0) - (stats.roles ?? 0), rolePages, 'ListAccountRoles requests');

  // The whole sync, as `sso-sync --once` runs it.
  const report = await sync(home, s);
  assert.equal(report.exitCode, 0, `the sync failed: ${report.failures.map((f) => f.error.message).join('; ')}`);
  const after = readFileSync(config, 'latin1');

  // The file is exactly what the planner makes of the fixture itself: paging lost, doubled or reordered nothing.
  const plan = planSync({
    text: before,
    fetched: s.synced.map((session) => ({ session, assignments: assignmentsOf(s.fixture, session.name) })),
    configuredSessions: sessionPool.map((x) => x.name),
    rules: s.rules,
    guard: { maxRemovalShare: 0.5, allowMassRemoval: true },
  });
  assert.ok(plan.ok);
  assert.equal(after, plan.changed ? plan.text : before, 'the written file is the plan of the fixture');

  // (c) Nothing outside the synced blocks changed.
  assertOutsideUnchanged(before, after, synced);

  // (b) What both parsers must read: the person's file (without the synced blocks) plus exactly the generated
  //     sections, each with exactly its keys.
  const personText = joinLines(linesOutside(before, synced));
  const personFile = path.join(home, 'person.ini');
  writeFileSync(personFile, Buffer.from(personText, 'latin1'));
  const read = readWithPython([personFile, config]);
  const person = read[personFile]!;
  const written = read[config]!;

  const wanted = new Map<string, Assignment>(); // session \n account \n role
  for (const session of s.synced) {
    for (const a of assignmentsOf(s.fixture, session.name)) {
      if (!validRole.test(a.roleName)) continue;
      if (
        matchesAny(s.rules.excludeAccounts, a.accountName, a.accountId) ||
        matchesAny(s.rules.excludeRoles, a.roleName)
      )
        continue;
      wanted.set(`${a.session}\n${a.accountId}\n${a.roleName}`, a);
    }
  }
  const taken = report.outcomes.flatMap((o) => o.skipped.filter((k) => k.reason === 'name-taken'));

  // A person's file the CLI cannot read even without sso-sync's blocks is the person's to fix; the JS SDK, which
  // reads anything, still checks it.
  let pythonChecked = false;
  const generated: Generated[] = [];
  if (person.ok) {
    pythonChecked = true;
    assert.ok(written.ok, `the AWS CLI cannot read the written file: ${written.ok ? '' : written.error}`);
    const mine = new Set(Object.keys(person.sections));
    for (const [section, values] of Object.entries(written.sections)) {
      if (mine.has(section)) {
        assert.deepEqual(values, person.sections[section], `the person's [${section}] reads as before`);
        continue;
      }
      generated.push({ section, values });
    }
    for (const section of mine) assert.ok(section in written.sections, `the person's [${section}] is still there`);
    for (const [name, sections] of [...Object.entries(written.profiles), ...Object.entries(written.ssoSessions)]) {
      assert.equal(sections.length, 1, `${name} is defined by one section only, not ${sections.join(', ')}`);
    }
  } else {
    // Without Python's reading, the generated sections are those of the synced blocks.
    const sdk = await readWithSdk(config);
    const personSdk = await readWithSdk(personFile);
    for (const [key, values] of Object.entries(sdk)) {
      if (!(key in personSdk))
        generated.push({
          section: key.startsWith('sso-session.') ? `sso-session ${key.slice(12)}` : `profile ${key}`,
          values: values as Record<string, string>,
        });
    }
  }

  // Exactly one [sso-session] per synced session that the person does not define, with exactly its keys.
  for (const session of s.synced) {
    const outside = report.outcomes.find((o) => o.session === session.name)!.sessionDefinedOutside;
    const section = generated.filter((g) => g.section === `sso-session ${session.name}`);
    if (outside) {
      assert.equal(section.length, 0, `the person's [sso-session ${session.name}] is not repeated`);
      continue;
    }
    assert.deepEqual(
      section.map((g) => g.values),
      [
        {
          sso_region: session.region,
          sso_start_url: session.startUrl,
          sso_registration_scopes: session.scopes.join(','),
        },
      ],
    );
  }
  // Exactly the wanted profiles, each once, named safely, with exactly the planned keys; the only ones missing
  // are those whose name the person (or another session's block) already uses.
  const placed = new Map<string, string>();
  for (const g of generated) {
    if (g.section.startsWith('sso-session ')) continue;
    assert.ok(g.section.startsWith('profile '), `only profiles and sso-sessions are generated, not [${g.section}]`);
    const name = g.section.slice('profile '.length);
    assert.match(name, safeName);
    const v = g.values;
    const key = `${v.sso_session}\n${v.sso_account_id}\n${v.sso_role_name}`;
    assert.ok(!placed.has(key), `one profile for ${JSON.stringify(key)}`);
    placed.set(key, name);
    const session = s.synced.find((x) => x.name === v.sso_session);
    assert.ok(session, `${name} belongs to a synced session`);
    assert.deepEqual(
      v,
      {
        sso_session: session.name,
        sso_account_id: v.sso_account_id,
        sso_role_name: v.sso_role_name,
        region: regionOf(s.rules, session),
        ...s.rules.set,
      },
      name,
    );
  }
  const skippedTaken = taken.map((k) => `${k.assignment.session}\n${k.assignment.accountId}\n${k.assignment.roleName}`);
  assert.deepEqual(
    [...placed.keys(), ...skippedTaken].sort(),
    [...wanted.keys()].sort(),
    'every wanted assignment has its profile or was skipped as taken',
  );
  if (person.ok) {
    for (const k of taken)
      assert.ok(
        k.name! in person.profiles,
        `${k.name} was skipped as taken, but the person's file has no such profile`,
      );
  }

  // The JS SDK reads the person's sections as it did before, plus exactly the generated ones.
  const sdkPerson = await readWithSdk(personFile);
  const sdkWritten = await readWithSdk(config);
  const sdkWant: Record<string, Record<string, string | undefined>> = { ...sdkPerson };
  for (const g of generated) {
    const key = g.section.startsWith('sso-session ')
      ? `sso-session.${g.section.slice('sso-session '.length)}`
      : g.section.slice('profile '.length);
    // The JS SDK files `[profile services.x]` under the same key as `[services x]` (and so for sso-session):
    // the later section silently replaces the earlier one.
    assert.ok(
      !(key in sdkWant),
      `the JS SDK reads generated [${g.section}] under the key ${key}, which another section has too`,
    );
    sdkWant[key] = g.values;
  }
  assert.deepEqual(sdkWritten, sdkWant, "the JS SDK reads exactly the person's and the generated profiles");

  rmSync(home, { recursive: true, force: true });
  return { pythonChecked };
}

/** One emulator and one temp directory for the scenarios of a test, torn down after it. */
async function startWorld(t: TestContext): Promise<World> {
  assert.ok(pythonAvailable(), 'python3 is needed to read the result as the AWS CLI does');
  const emulator = await startEmulator({ fixture: { accounts: [] } });
  useEmulatorEndpoint(t, emulator);
  t.after(() => emulator.stop());
  const root = tempDir(t, 'sso-sync-pages-');
  return { emulator, root, runs: 0 };
}

test('property: through any page shape, hostile names sync into exactly the intended profiles for the AWS CLI and the JS SDK', async (t) => {
  const world = await startWorld(t);
  let runs = 0;
  let pythonChecked = 0;
  await fc.assert(
    fc.asyncProperty(scenarioArb, async (s) => {
      runs++;
      if ((await checkScenario(world, s)).pythonChecked) pythonChecked++;
    }),
    { numRuns: 80 },
  );
  assert.ok(pythonChecked >= runs * 0.8, `the AWS CLI's parser could check only ${pythonChecked} of ${runs} files`);
});

// The JS SDK files `[profile services.x]` and `[services x]` under one key (and `sso-session.x` likewise), so a
// generated name must never take that shape.
test("a generated profile never shadows a person's [services] section for the JS SDK", async (t) => {
  const world = await startWorld(t);
  const services = {
    id: 'services my-services',
    lines: [
      '[profile app]',
      'services = my-services',
      '',
      '[services my-services]',
      'sso =',
      '  endpoint_url = https://sso.example.internal',
      '',
    ],
  };
  await checkScenario(world, {
    head: [services],
    tail: [],
    eol: '\n',
    finalEol: true,
    previous: undefined,
    fixture: {
      accounts: [{ accountId: '111111111111', accountName: 'Services.My Services', roles: ['ReadOnlyAccess'] }],
    },
    shape: { sizes: [0, 1], trailingEmptyPage: true },
    synced: [sessionPool[0]!],
    rules: defaultRules,
    concurrency: 1,
  });
});
