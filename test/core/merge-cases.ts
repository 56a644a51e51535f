/**
 * The golden merge cases in test/fixtures/merge/: each folder holds the file before a sync (`before.ini`, absent
 * when there is no file yet), what the portal returned (`input.json`), and either the exact file after the sync
 * (`after.ini`, with `outcome.json` describing what the sync reports) or the refusal (`refused.json`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { PlanInput, SessionOutcome } from '../../src/core/plan.js';
import { defaultRules } from '../../src/core/profile-names.js';
import type { ChainRule } from '../../src/core/chains.js';
import type { ProfileStyle } from '../../src/core/profile-style.js';
import type { Assignment, ProfileRules } from '../../src/core/types.js';

/** The folder of golden cases, in the source tree (fixtures are not compiled). */
export const mergeFixtures = fileURLToPath(new URL('../../../test/fixtures/merge/', import.meta.url));

/** One session as input.json describes it: its definition and the accounts with their roles. */
interface CaseSession {
  name: string;
  startUrl?: string;
  region?: string;
  scopes?: string[];
  assignments: { accountId: string; accountName: string; roles: string[] }[];
}

/** input.json. */
export interface CaseInput {
  description: string;
  sessions: CaseSession[];
  /** Every configured session; the synced ones when absent. */
  configuredSessions?: string[];
  rules?: Partial<ProfileRules>;
  /** `profiles.style`; sso-session when absent. */
  style?: ProfileStyle;
  /** `chains`, as the core takes them; none when absent. */
  chains?: ChainRule[];
  guard?: { maxRemovalShare?: number; allowMassRemoval?: boolean };
}

/** What a case's outcome.json says about one session. */
export interface OutcomeSummary {
  added: string[];
  removed: string[];
  changed: { name: string; keys: string[] }[];
  skipped: { reason: string; name?: string; accountId: string; roleName: string }[];
  /** Present when the plan renames profiles. */
  renamed?: { from: string; to: string; keys: string[] }[];
  profileCount: number;
  held: { wouldRemove: number; of: number; maxRemovalShare: number } | null;
  handEdited: string[] | null;
  sessionDefinedOutside: boolean;
}

/** outcome.json. */
export interface ExpectedOutcome {
  changed: boolean;
  orphanBlocks: string[];
  /** Keys of `profiles.accounts` that matched nothing; none when absent. */
  unmatchedOverrides?: string[];
  sessions: Record<string, OutcomeSummary>;
}

/** refused.json: the damage planSync must report, each with its 1-based line and words from its message. */
export interface ExpectedRefusal {
  damage: { line: number; problem: string }[];
}

/** A loaded case. */
export interface MergeCase {
  name: string;
  dir: string;
  input: CaseInput;
  /** The file as a byte string, or undefined when the case has no before.ini. */
  before: string | undefined;
  after: Buffer | undefined;
  outcome: ExpectedOutcome | undefined;
  refused: ExpectedRefusal | undefined;
}

const defaultSession = {
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'eu-north-1',
  scopes: ['sso:account:access'],
};

function readOptional(file: string): Buffer | undefined {
  return existsSync(file) ? readFileSync(file) : undefined;
}

/** A JSON file's content, or undefined when the file does not exist. */
function readJson(file: string): unknown {
  const bytes = readOptional(file);
  return bytes === undefined ? undefined : JSON.parse(bytes.toString('utf8'));
}

/** Every case folder, sorted by name. */
export function caseNames(): string[] {
  return readdirSync(mergeFixtures, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** Reads one case folder. */
export function loadCase(name: string): MergeCase {
  const dir = join(mergeFixtures, name);
  const input = readJson(join(dir, 'input.json')) as CaseInput | undefined;
  if (input === undefined) throw new Error(`${dir} has no input.json`);
  return {
    name,
    dir,
    input,
    before: readOptional(join(dir, 'before.ini'))?.toString('latin1'),
    after: readOptional(join(dir, 'after.ini')),
    outcome: readJson(join(dir, 'outcome.json')) as ExpectedOutcome | undefined,
    refused: readJson(join(dir, 'refused.json')) as ExpectedRefusal | undefined,
  };
}

/**
 * The plan input for a case. `reversed` hands the sessions, accounts and roles to the planner in the opposite
 * order, as another page order from the API would.
 */
export function planInput(c: MergeCase, text: string | undefined, reversed = false): PlanInput {
  const order = <T>(items: readonly T[]): T[] => (reversed ? [...items].reverse() : [...items]);
  const fetched = order(c.input.sessions).map((s) => {
    const session = {
      name: s.name,
      startUrl: s.startUrl ?? defaultSession.startUrl,
      region: s.region ?? defaultSession.region,
      scopes: s.scopes ?? defaultSession.scopes,
    };
    const assignments: Assignment[] = order(s.assignments).flatMap((a) =>
      order(a.roles).map((roleName) => ({
        session: s.name,
        accountId: a.accountId,
        accountName: a.accountName,
        roleName,
      })),
    );
    return { session, assignments };
  });
  return {
    text,
    fetched,
    configuredSessions: c.input.configuredSessions ?? c.input.sessions.map((s) => s.name),
    rules: { ...defaultRules, ...c.input.rules },
    style: c.input.style,
    chains: c.input.chains,
    guard: { maxRemovalShare: 0.5, allowMassRemoval: false, ...c.input.guard },
  };
}

/** What a plan reports for one session, in the shape outcome.json uses. */
export function summarise(o: SessionOutcome): OutcomeSummary {
  return {
    added: o.added.map((p) => p.name),
    removed: o.removed.map((p) => p.name),
    changed: o.changed.map((c) => ({ name: c.name, keys: c.keys.map((k) => k.key) })),
    skipped: o.skipped.map((s) => ({
      reason: s.reason,
      ...(s.name === undefined ? {} : { name: s.name }),
      accountId: s.assignment.accountId,
      roleName: s.assignment.roleName,
    })),
    ...(o.renamed.length === 0
      ? {}
      : { renamed: o.renamed.map((r) => ({ from: r.from, to: r.to, keys: r.keys.map((k) => k.key) })) }),
    profileCount: o.profileCount,
    held: o.held ?? null,
    handEdited: o.handEdited?.sections ?? null,
    sessionDefinedOutside: o.sessionDefinedOutside,
  };
}
