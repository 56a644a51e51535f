/**
 * Golden merge cases: for each folder in test/fixtures/merge/, planSync on before.ini must give exactly the
 * bytes of after.ini (and the outcome in outcome.json), or refuse with the damage in refused.json. Every case is
 * also planned with the API's order reversed (same result) and planned again on its own result (no change).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { scanConfig } from '../../src/core/config-text.js';
import { planSync, type Plan } from '../../src/core/plan.js';
import { tempDir } from '../helpers/temp-dir.js';
import { caseNames, loadCase, planInput, summarise, type MergeCase, type OutcomeSummary } from './merge-cases.js';
import { pythonAvailable, readWithPython } from './python-config.js';

type Planned = Extract<Plan, { ok: true }>;

const names = caseNames();

/** Outcomes keyed by session, with lists whose order the API's order may change put in a stable order. */
function comparable(plan: Planned): Record<string, OutcomeSummary> {
  return Object.fromEntries(
    plan.outcomes.map((o) => {
      const s = summarise(o);
      const skipped = [...s.skipped].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      return [o.session, { ...s, skipped }];
    }),
  );
}

function expectPlanned(plan: Plan, c: MergeCase): Planned {
  if (!plan.ok) assert.fail(`${c.name}: refused: ${JSON.stringify(plan.damage)}`);
  return plan;
}

test('there are golden merge cases', () => {
  assert.ok(names.length >= 40, `only ${names.length} cases found`);
});

for (const name of names) {
  test(`merge golden: ${name}`, () => {
    const c = loadCase(name);
    assert.ok(
      (c.after === undefined) !== (c.refused === undefined),
      `${name} needs exactly one of after.ini and refused.json`,
    );
    const plan = planSync(planInput(c, c.before));
    const reversed = planSync(planInput(c, c.before, true));

    if (c.refused) {
      if (plan.ok) assert.fail(`${name}: expected a refusal, got a plan`);
      assert.deepEqual(
        plan.damage.map((d) => d.line),
        c.refused.damage.map((d) => d.line),
        'damage line numbers',
      );
      c.refused.damage.forEach((want, i) => {
        const problem = plan.damage[i]!.problem;
        assert.ok(problem.includes(want.problem), `line ${want.line}: "${problem}" does not say "${want.problem}"`);
      });
      assert.deepEqual(reversed, plan, 'the refusal does not depend on the order of the assignments');
      return;
    }

    const ok = expectPlanned(plan, c);
    // The bytes first, as text for a readable diff, then as bytes.
    assert.equal(ok.text, c.after!.toString('latin1'), `${name}: after.ini differs`);
    assert.deepEqual(Buffer.from(ok.text, 'latin1'), c.after);

    const again = expectPlanned(planSync(planInput(c, ok.text)), c);
    assert.equal(again.changed, false, 'planning again on the result changes nothing');
    assert.equal(again.text, ok.text);
    assert.ok(
      again.outcomes.every((o) => o.handEdited === undefined),
      'the written block is not seen as hand-edited',
    );

    const other = expectPlanned(reversed, c);
    assert.equal(other.text, ok.text, 'the result does not depend on the order of the assignments');
    assert.deepEqual(comparable(other), comparable(ok));

    if (c.outcome) {
      assert.equal(ok.changed, c.outcome.changed, 'changed');
      assert.equal(ok.changed, ok.text !== (c.before ?? ''), 'changed says whether the bytes differ');
      assert.deepEqual(ok.orphanBlocks, c.outcome.orphanBlocks, 'orphanBlocks');
      assert.deepEqual(ok.unmatchedOverrides, c.outcome.unmatchedOverrides ?? [], 'unmatchedOverrides');
      assert.deepEqual(
        Object.fromEntries(ok.outcomes.map((o) => [o.session, summarise(o)])),
        c.outcome.sessions,
        'outcomes',
      );
    }
  });
}

test('every golden result reads in the AWS CLI parser with the sections sso-sync meant', (t) => {
  assert.ok(pythonAvailable(), 'python3 is needed to read the result as the AWS CLI does');
  // What planSync produces now (equal to after.ini where the case above passes), next to the file it started from.
  const dir = tempDir(t, 'sso-sync-golden-');
  const cases = names.map(loadCase).filter((c) => c.after !== undefined);
  const results = new Map<string, string>();
  for (const c of cases) {
    const plan = expectPlanned(planSync(planInput(c, c.before)), c);
    results.set(c.name, plan.text);
    writeFileSync(join(dir, `${c.name}.after.ini`), Buffer.from(plan.text, 'latin1'));
  }
  const files = cases.flatMap((c) => [
    join(dir, `${c.name}.after.ini`),
    ...(c.before === undefined ? [] : [join(c.dir, 'before.ini')]),
  ]);
  const read = readWithPython(files);
  const problems: string[] = [];
  for (const c of cases) {
    const before = c.before === undefined ? undefined : read[join(c.dir, 'before.ini')]!;
    const after = read[join(dir, `${c.name}.after.ini`)]!;
    // The CLI could not read it before either (a BOM, bytes that are not UTF-8).
    if (before !== undefined && !before.ok) continue;
    if (!after.ok) {
      problems.push(`${c.name}: the AWS CLI could read the file before the sync and cannot after it: ${after.error}`);
      continue;
    }
    // Every profile the CLI sees is defined by one section, and they are the profiles sso-sync sees.
    const scan = scanConfig(results.get(c.name)!);
    const mine = [...scan.outside, ...scan.blocks.flatMap((b) => b.sections)].filter((s) => s.kind === 'profile');
    for (const [profile, sections] of Object.entries(after.profiles)) {
      if (sections.length > 1) problems.push(`${c.name}: profile ${profile} is defined by ${sections.length} sections`);
    }
    const cli = Object.keys(after.profiles).sort().join(', ');
    const ours = [...new Set(mine.map((s) => s.name))].sort().join(', ');
    if (cli !== ours) problems.push(`${c.name}: the AWS CLI sees the profiles ${cli}; sso-sync sees ${ours}`);
    // The generated sections read back with exactly the values sso-sync wrote.
    for (const block of scan.blocks) {
      for (const s of block.sections) {
        const section: string | undefined = after.profiles[s.name]?.[0];
        if (s.kind !== 'profile' || section === undefined) continue;
        assert.deepEqual(after.sections[section], Object.fromEntries(s.values), `${c.name}: [${section}]`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
