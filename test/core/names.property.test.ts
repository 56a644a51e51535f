/**
 * Property tests over untrusted input: whatever account and role names the portal returns, in whatever order,
 * and whatever the person's file holds, the file sso-sync writes has exactly the intended sections, read by
 * sso-sync's own reader, by the `ini` package, and by the AWS CLI's parser (Python configparser, strict).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import ini from 'ini';
import { joinLines, scanConfig } from '../../src/core/config-text.js';
import { planSync, type PlanInput, type SessionFetch } from '../../src/core/plan.js';
import type { Assignment, ProfileRules, SessionDef } from '../../src/core/types.js';
import { tempDir } from '../helpers/temp-dir.js';
import {
  accountName,
  assertOutsideUnchanged,
  expectedProfiles,
  linesOutside,
  namingRulesArb,
  roleName,
  safeName,
  sessionPool,
  userSection,
  validAccount,
  validRole,
  type UserSection,
} from './hostile-input.js';
import { pythonAvailable, readWithPython } from './python-config.js';

// ---- what the portal returns -------------------------------------------------------------------------------

const accountId = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('111111111111', '222222222222', '333333333333', '000000000000') },
  { weight: 3, arbitrary: fc.stringMatching(/^\d{12}$/) },
  { weight: 1, arbitrary: fc.constantFrom('12345', '11111111111a', '', '1111111111111', ' 111111111111') },
);
const account = fc.record({
  session: fc.constantFrom(0, 1),
  id: accountId,
  name: accountName,
  roles: fc.array(roleName, { maxLength: 3 }),
});

function assignmentsOf(
  accounts: readonly { session: number; id: string; name: string; roles: string[] }[],
): Assignment[] {
  // In one session an account id has one name, as the portal returns it; the first drawn name stands.
  const names = new Map<string, string>();
  for (const a of accounts) if (!names.has(`${a.session}\n${a.id}`)) names.set(`${a.session}\n${a.id}`, a.name);
  return accounts.flatMap((a) =>
    a.roles.map((roleName) => ({
      session: sessionPool[a.session]!.name,
      accountId: a.id,
      accountName: names.get(`${a.session}\n${a.id}`)!,
      roleName,
    })),
  );
}

// ---- what the person's file holds --------------------------------------------------------------------------

interface Scenario {
  head: UserSection[];
  tail: UserSection[];
  eol: '\n' | '\r\n';
  finalEol: boolean;
  /** Assignments synced earlier, whose blocks are in the file already; undefined when no earlier sync. */
  previous: Assignment[] | undefined;
  current: Assignment[];
  synced: SessionDef[];
  rules: ProfileRules;
  rotate: number;
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    sections: fc.uniqueArray(userSection, { maxLength: 6, selector: (s) => s.id }),
    split: fc.nat(),
    eol: fc.constantFrom<'\n' | '\r\n'>('\n', '\r\n'),
    finalEol: fc.boolean(),
    previous: fc.option(fc.array(account, { maxLength: 5 }), { nil: undefined }),
    current: fc.array(account, { maxLength: 8 }),
    synced: fc.constantFrom([0], [1], [0, 1]),
    rules: namingRulesArb,
    rotate: fc.nat(),
  })
  .map((r) => {
    const k = r.sections.length === 0 ? 0 : r.split % (r.sections.length + 1);
    return {
      head: r.sections.slice(0, k),
      tail: r.sections.slice(k),
      eol: r.eol,
      finalEol: r.finalEol,
      previous: r.previous === undefined ? undefined : assignmentsOf(r.previous),
      current: assignmentsOf(r.current).filter((a) => r.synced.some((i) => sessionPool[i]!.name === a.session)),
      synced: r.synced.map((i) => sessionPool[i]!),
      rules: r.rules,
      rotate: r.rotate,
    };
  });

const guard = { maxRemovalShare: 0.5, allowMassRemoval: true };

function fetchesFor(sessions: readonly SessionDef[], assignments: readonly Assignment[]): SessionFetch[] {
  return sessions.map((session) => ({ session, assignments: assignments.filter((a) => a.session === session.name) }));
}

/** The file before this sync: the person's sections, with the blocks of an earlier sync between head and tail. */
function beforeText(s: Scenario): string {
  // The person's text is UTF-8; sso-sync reads it as bytes.
  const join = (sections: UserSection[]) =>
    Buffer.from(
      sections
        .flatMap((x) => x.lines)
        .map((l) => l + s.eol)
        .join(''),
      'utf8',
    ).toString('latin1');
  let text = join(s.head);
  if (s.previous !== undefined) {
    const sessions = sessionPool.filter((p) => s.previous!.some((a) => a.session === p.name));
    const plan = planSync({
      text,
      fetched: fetchesFor(sessions, s.previous),
      configuredSessions: sessionPool.map((p) => p.name),
      rules: s.rules,
      guard,
    });
    assert.ok(plan.ok);
    text = plan.text;
  }
  text += join(s.tail);
  if (!s.finalEol && text.endsWith(s.eol)) text = text.slice(0, -s.eol.length);
  return text;
}

function planInput(s: Scenario, text: string, order: 'given' | 'permuted' = 'given'): PlanInput {
  let current = s.current;
  let sessions = s.synced;
  if (order === 'permuted') {
    const reversed = [...current].reverse();
    const k = reversed.length === 0 ? 0 : s.rotate % reversed.length;
    current = [...reversed.slice(k), ...reversed.slice(0, k)];
    sessions = [...sessions].reverse();
  }
  return {
    text,
    fetched: fetchesFor(sessions, current),
    configuredSessions: sessionPool.map((p) => p.name),
    rules: s.rules,
    guard,
  };
}

/** One generated section as it should read back: its header's inner text and its keys. */
interface Generated {
  section: string;
  values: Record<string, string>;
}

/**
 * Plans a scenario and checks the result with sso-sync's own reader; returns the file before (without the
 * synced blocks), the file after, and the sections that were generated.
 */
function checkInProcess(s: Scenario): { userText: string; after: string; generated: Generated[] } {
  const before = beforeText(s);
  const plan = planSync(planInput(s, before));
  assert.ok(plan.ok, 'a file without damaged markers is never refused');
  const synced = new Set(s.synced.map((x) => x.name));

  // 1. Nothing outside the synced blocks changes, except a newline added to a last line that had none and the
  //    blank lines that separate appended blocks. Other sessions' blocks count as outside here.
  assertOutsideUnchanged(before, plan.text, synced);

  // 2. The other sessions' blocks are still there (their bytes were compared with the rest above).
  const old = scanConfig(before);
  const scan = scanConfig(plan.text);
  assert.deepEqual(scan.damage, []);
  assert.deepEqual(
    scan.blocks.filter((b) => !synced.has(b.session)).map((b) => b.session),
    old.blocks.filter((b) => !synced.has(b.session)).map((b) => b.session),
  );
  const taken = new Set([
    ...old.outside.filter((x) => x.kind === 'profile').map((x) => x.name),
    ...old.blocks
      .filter((b) => !synced.has(b.session))
      .flatMap((b) => b.sections.filter((x) => x.kind === 'profile').map((x) => x.name)),
  ]);

  // 3. Each synced block holds its [sso-session] unless one is defined outside, then exactly the profiles of the
  //    valid, not excluded assignments in each of their regions whose names are not taken, with exactly the planned
  //    keys (worked out on their own by expectedProfiles).
  const expected = new Map<string, { regions: string[]; set: Record<string, string> }>();
  for (const a of s.current) {
    if (!validAccount.test(a.accountId) || !validRole.test(a.roleName)) continue;
    const e = expectedProfiles(
      s.rules,
      s.synced.find((x) => x.name === a.session)!,
      a,
    );
    if (e) expected.set(`${a.session}\n${a.accountId}\n${a.roleName}`, e);
  }
  const generated: Generated[] = [];
  const placed = new Map<string, string>(); // session \n account \n role \n region -> profile name
  for (const session of s.synced) {
    const blocks = scan.blocks.filter((b) => b.session === session.name);
    assert.equal(blocks.length, 1, `one block for ${session.name}`);
    const sections = [...blocks[0]!.sections];
    const outside = old.outside.some((x) => x.kind === 'sso-session' && x.name === session.name);
    if (!outside) {
      const first = sections.shift();
      assert.deepEqual([first?.kind, first?.name], ['sso-session', session.name]);
      const values = {
        sso_region: session.region,
        sso_start_url: session.startUrl,
        sso_registration_scopes: session.scopes.join(','),
      };
      assert.deepEqual(Object.fromEntries(first!.values), values);
      generated.push({ section: `sso-session ${session.name}`, values });
    }
    for (const p of sections) {
      assert.equal(p.kind, 'profile', 'only profiles follow the [sso-session] section');
      assert.match(p.name, safeName);
      assert.ok(p.name.length <= 128, `${p.name} is longer than 128 characters`);
      assert.ok(!taken.has(p.name), `${p.name} is used outside the block`);
      const values = Object.fromEntries(p.values);
      const assignment = `${values.sso_session}\n${values.sso_account_id}\n${values.sso_role_name}`;
      const key = `${assignment}\n${values.region}`;
      assert.ok(!placed.has(key), `one profile for ${JSON.stringify(key)}`);
      placed.set(key, p.name);
      assert.equal(values.sso_session, session.name);
      const want = expected.get(assignment);
      assert.ok(want, `${p.name} is for an assignment the rules exclude or the portal did not return`);
      assert.ok(want.regions.includes(values.region!), `${p.name} is in ${values.region}, not one of its regions`);
      assert.deepEqual(values, {
        sso_session: session.name,
        sso_account_id: values.sso_account_id,
        sso_role_name: values.sso_role_name,
        region: values.region,
        ...want.set,
      });
      generated.push({ section: `profile ${p.name}`, values });
    }
  }
  const names = [...placed.values()];
  assert.equal(new Set(names).size, names.length, 'names are unique');

  // 4. Every valid, not excluded assignment has its profile in each of its regions, or was skipped because its
  //    name is taken.
  const wanted = [...expected].flatMap(([assignment, e]) => e.regions.map((r) => `${assignment}\n${r}`));
  const skippedTaken = plan.outcomes.flatMap((o) => o.skipped.filter((k) => k.reason === 'name-taken'));
  for (const k of skippedTaken) assert.ok(taken.has(k.name!), `${k.name} was skipped as taken but is not used outside`);
  const accounted = [
    ...placed.keys(),
    ...skippedTaken.map((k) => {
      const a = k.assignment;
      const region = k.region ?? expected.get(`${a.session}\n${a.accountId}\n${a.roleName}`)?.regions[0];
      return `${a.session}\n${a.accountId}\n${a.roleName}\n${region}`;
    }),
  ];
  assert.deepEqual(accounted.sort(), [...new Set(wanted)].sort());

  // 5. The API's order does not matter.
  const permuted = planSync(planInput(s, before, 'permuted'));
  assert.ok(permuted.ok);
  assert.equal(permuted.text, plan.text, 'the same file whatever the order of the assignments');

  // 6. Planning again changes nothing.
  const again = planSync(planInput(s, plan.text));
  assert.ok(again.ok);
  assert.equal(again.changed, false);

  return { userText: joinLines(linesOutside(before, synced)), after: plan.text, generated };
}

// ---- the ini package ---------------------------------------------------------------------------------------

/**
 * ini nests a section whose name has a dot under the part before the dot (`[profile a.b]` becomes key `b` of
 * `profile a`). Flattening the nesting back gives the real section names, unless one section's name is another's
 * name plus `.something` — then ini merges them and cannot be used for that file.
 */
function iniSections(text: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  const walk = (obj: Record<string, unknown>, path: string) => {
    const own: Record<string, string> = {};
    let hasOwn = false;
    for (const [k, v] of Object.entries(obj)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, `${path}.${k}`);
      else {
        own[k] = String(v);
        hasOwn = true;
      }
    }
    if (hasOwn || Object.keys(obj).length === 0) out.set(path, own);
  };
  const parsed = ini.parse(Buffer.from(text, 'latin1').toString('utf8')) as Record<string, unknown>;
  for (const [k, v] of Object.entries(parsed))
    if (v !== null && typeof v === 'object') walk(v as Record<string, unknown>, k);
  return out;
}

function iniFaithful(sectionNames: readonly string[]): boolean {
  return !sectionNames.some((a) => sectionNames.some((b) => a !== b && b.startsWith(`${a}.`)));
}

/** The header inner texts of a file, as they stand between the brackets (the names ini sees). */
function rawHeaders(text: string): string[] {
  return [
    ...Buffer.from(text, 'latin1')
      .toString('utf8')
      .matchAll(/^\[([^\]]*)\]\s*$/gm),
  ].map((m) => m[1]!.trim());
}

test('property: the written file has exactly the intended sections, for sso-sync and for ini', () => {
  let iniChecked = 0;
  let runs = 0;
  fc.assert(
    fc.property(scenario, (s) => {
      runs++;
      const { userText, after, generated } = checkInProcess(s);
      const names = [...rawHeaders(after)];
      if (!iniFaithful(names)) return;
      iniChecked++;
      const want = iniSections(userText);
      for (const g of generated) {
        assert.ok(!want.has(g.section), `${g.section} is also the person's section`);
        want.set(g.section, g.values);
      }
      const got = iniSections(after);
      assert.deepEqual(new Map([...got].sort()), new Map([...want].sort()));
    }),
    { numRuns: 300 },
  );
  assert.ok(iniChecked > runs / 2, `ini could check only ${iniChecked} of ${runs} files`);
});

test('property: any byte string as the file: refused only for marker damage, else the blocks are as planned', () => {
  const chars = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) },
    { weight: 3, arbitrary: fc.constantFrom('\n', '\r\n', '\r', '[', ']', '=', ' ', '#', '\t') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '[profile prod-admin]\n',
        '[sso-session mycorp]\n',
        '[default]\n',
        'region = x\n',
        '  nested = 1\n',
        '\xEF\xBB\xBF',
      ),
    },
  );
  const markerLike = /^\s*[#;]+\s*(BEGIN|END)\s+sso-sync\b/im;
  fc.assert(
    fc.property(
      fc.string({ unit: chars, maxLength: 300 }),
      fc.array(account, { maxLength: 5 }),
      namingRulesArb,
      (text, accounts, rules) => {
        const s: Scenario = {
          head: [],
          tail: [],
          eol: '\n',
          finalEol: true,
          previous: undefined,
          current: assignmentsOf(accounts),
          synced: sessionPool,
          rules,
          rotate: 1,
        };
        const plan = planSync(planInput(s, text));
        if (!plan.ok) {
          assert.ok(markerLike.test(text.replace(/\r/g, '\n')), 'refused without a marker-like line');
          return;
        }
        const synced = new Set(sessionPool.map((x) => x.name));
        const was = linesOutside(text, synced);
        const now = linesOutside(plan.text, synced);
        was.slice(0, -1).forEach((line, i) => assert.deepEqual(now[i], line));
        if (text.startsWith('\xEF\xBB\xBF')) assert.ok(plan.text.startsWith('\xEF\xBB\xBF'));
        const scan = scanConfig(plan.text);
        assert.deepEqual(scan.damage, []);
        for (const b of scan.blocks) {
          for (const x of b.sections) {
            assert.ok(x.kind !== 'other', 'no other sections inside a block');
            assert.match(x.name, safeName);
          }
        }
        // Planning again changes nothing. A last line ending in a lone CR without a newline is left out here: it
        // turns into a CRLF line when the block is appended, which is pinned by its own test in merge-edges.
        const lines = scanConfig(text).lines;
        if (lines.at(-1)?.eol === '' && lines.at(-1)!.text.endsWith('\r') && lines.length === 1) return;
        const again = planSync(planInput(s, plan.text));
        assert.ok(again.ok && !again.changed, 'planning again changes nothing');
      },
    ),
    { numRuns: 300 },
  );
});

test('property: the AWS CLI parser (Python configparser, strict) reads exactly the intended sections', (t) => {
  assert.ok(pythonAvailable(), 'python3 is needed to read the result as the AWS CLI does');
  const dir = tempDir(t, 'sso-sync-names-');
  const seed = Date.now() ^ (Math.random() * 0x7fffffff);
  const scenarios = fc.sample(scenario, { numRuns: 200, seed });
  const cases = scenarios.map((s, i) => {
    const { userText, after, generated } = checkInProcess(s);
    const user = join(dir, `${i}.user.ini`);
    const written = join(dir, `${i}.after.ini`);
    writeFileSync(user, Buffer.from(userText, 'latin1'));
    writeFileSync(written, Buffer.from(after, 'latin1'));
    return { s, user, written, generated };
  });
  const read = readWithPython(cases.flatMap((c) => [c.user, c.written]));
  let checked = 0;
  for (const c of cases) {
    const where = `seed ${seed}, ${c.written}: ${JSON.stringify(c.s)}`;
    const user = read[c.user]!;
    const after = read[c.written]!;
    // A person's file the CLI cannot read without sso-sync's blocks either (an [sso-session] added by hand
    // after an earlier sync wrote one into a block that is not synced now) is the person's to fix.
    if (!user.ok) continue;
    // Likewise a person's section that names the same profile as a block not synced now (`[profile "prod"]` added
    // by hand after an earlier sync wrote `[profile prod]` into it): two sections define it before sso-sync runs.
    if (Object.values(user.profiles).some((sections) => sections.length > 1)) continue;
    checked++;
    assert.ok(after.ok, `the AWS CLI cannot read the written file (${after.ok ? '' : after.error}); ${where}`);
    // The sections are the person's plus the generated ones, nothing more, with exactly the planned keys.
    const want: Record<string, Record<string, string>> = { ...user.sections };
    for (const g of c.generated) {
      assert.ok(!(g.section in want), `${g.section} is also the person's section; ${where}`);
      want[g.section] = g.values;
    }
    assert.deepEqual(after.sections, want, where);
    // Every profile and sso-session is defined by one section only, so none silently replaces another.
    for (const [name, sections] of [...Object.entries(after.profiles), ...Object.entries(after.ssoSessions)]) {
      assert.equal(sections.length, 1, `${name} is defined by ${sections.join(', ')}; ${where}`);
    }
    const generatedProfiles = c.generated
      .filter((g) => g.section.startsWith('profile '))
      .map((g) => g.section.slice('profile '.length));
    assert.deepEqual(
      Object.keys(after.profiles).sort(),
      [...Object.keys(user.profiles), ...generatedProfiles].sort(),
      where,
    );
  }
  assert.ok(checked >= cases.length * 0.8, `only ${checked} of ${cases.length} files were checked`);
});

test('property: new naming rules rename profiles; a profile that stays is never removed and added, nor held', () => {
  fc.assert(
    fc.property(fc.array(account, { maxLength: 8 }), namingRulesArb, namingRulesArb, (accounts, first, second) => {
      const assignments = assignmentsOf(accounts);
      const input = (text: string | undefined, rules: ProfileRules, allowMassRemoval: boolean): PlanInput => ({
        text,
        fetched: fetchesFor(sessionPool, assignments),
        configuredSessions: sessionPool.map((p) => p.name),
        rules,
        guard: { maxRemovalShare: 0.5, allowMassRemoval },
      });
      const before = planSync(input(undefined, first, true));
      assert.ok(before.ok);
      // Without the guard, what the new rules make of the block; with it, whether the update is held.
      const after = planSync(input(before.text, second, true));
      const guarded = planSync(input(before.text, second, false));
      assert.ok(after.ok && guarded.ok);
      // A profile is the same when its session, account, role and region are: what each sync wrote.
      const identities = (text: string) =>
        new Map(
          scanConfig(text).blocks.flatMap((b) =>
            b.sections
              .filter((x) => x.kind === 'profile')
              .map((x): [string, string] => {
                const v = Object.fromEntries(x.values);
                return [`${b.session}\n${v.sso_account_id}\n${v.sso_role_name}\n${v.region}`, x.name];
              }),
          ),
        );
      const was = identities(before.text);
      const now = identities(after.text);
      const assigned = new Set([...now.keys()].map((k) => k.split('\n').slice(0, 3).join('\n')));
      for (const o of after.outcomes) {
        const wasAssigned = [...was.keys()].filter((k) => k.startsWith(`${o.session}\n`));
        const lost = wasAssigned.filter((k) => !assigned.has(k.split('\n').slice(0, 3).join('\n')));
        // Held only for real removals, never for renames.
        const held = guarded.outcomes.find((g) => g.session === o.session)?.held;
        if (held) assert.ok(lost.length > 0, `held though every assignment is still there: ${JSON.stringify(held)}`);
        for (const r of o.removed) {
          const key = `${o.session}\n${r.accountId}\n${r.roleName}\n${r.values.region}`;
          assert.ok(!now.has(key), `${r.name} was removed, but ${now.get(key)} is the same profile: a rename`);
        }
        for (const p of o.added) {
          const key = `${o.session}\n${p.accountId}\n${p.roleName}\n${Object.fromEntries(p.keys).region}`;
          assert.ok(!was.has(key), `${p.name} was added, but ${was.get(key)} is the same profile: a rename`);
        }
        for (const r of o.renamed) {
          const key = `${o.session}\n${r.accountId}\n${r.roleName}\n${r.region}`;
          assert.deepEqual([was.get(key), now.get(key)], [r.from, r.to]);
          assert.notEqual(r.from, r.to);
        }
      }
    }),
    { numRuns: 300 },
  );
});
