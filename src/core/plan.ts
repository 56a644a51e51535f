/**
 * The heart of a sync, pure: (file text, assignments, rules) -> new file text and what changed, or a refusal.
 * Called again on the new content when the file changed between reading and writing.
 */
import { renderBlock, renderBody, type BlockContent, type RenderedBlock } from './block.js';
import {
  blockBody,
  bomBytes,
  classifyHeader,
  scanConfig,
  splitLines,
  type BlockRegion,
  type Damage,
  type ScannedConfig,
  type SectionRef,
} from './config-text.js';
import { mergeBlocks } from './merge.js';
import { assignmentKey, keyOf, Naming, profileKey, type PreviousNames, type Skipped } from './profile-names.js';
import { sectionAssignment, styleProfiles, type ProfileStyle } from './profile-style.js';
import { withChains, yieldToChains, type ChainRule } from './chains.js';
import { pairRenames, type ProfileRename } from './renames.js';
import type { Assignment, Profile, ProfileRules, SessionDef, UnusableEntry } from './types.js';

/** What the portal API returned for one session in this run. */
export interface SessionFetch {
  session: SessionDef;
  assignments: readonly Assignment[];
  /** Entries of the portal's answers that could not be used: each is reported as skipped. */
  unusable?: readonly UnusableEntry[];
}

/** The portal's unusable entries as skipped assignments, so that they are logged with the others. */
function unusableSkips(session: string, unusable: readonly UnusableEntry[]): Skipped[] {
  return unusable.map((u) => ({
    reason: 'unusable-entry',
    assignment: { session, accountId: u.accountId ?? '', accountName: '', roleName: u.roleName ?? '' },
    problem: u.problem,
  }));
}

/** When a result that removes profiles is applied. */
export interface RemovalGuard {
  /** Hold a block's update when it would remove more than this share (0..1) of its profiles. */
  maxRemovalShare: number;
  /** Apply such an update anyway. */
  allowMassRemoval: boolean;
}

/** Everything a plan needs. */
export interface PlanInput {
  /** The file as a byte string, or undefined when it does not exist yet. */
  text: string | undefined;
  fetched: readonly SessionFetch[];
  /** Names of every configured session, also those not synced in this run (their blocks are not orphans). */
  configuredSessions: readonly string[];
  rules: ProfileRules;
  /** How profiles get their credentials (`profiles.style`); sso-session when absent. */
  style?: ProfileStyle | undefined;
  /** Role-chain profiles built on the generated ones (settings `chains`); none when absent. */
  chains?: readonly ChainRule[] | undefined;
  guard: RemovalGuard;
  /** scanConfig(text), when the caller has made it already: a large file is then read once, not twice. */
  scan?: ScannedConfig | undefined;
}

/** A profile as it stands in the file, for the log. */
export interface ProfileRecord {
  name: string;
  accountId: string | undefined;
  roleName: string | undefined;
  values: Record<string, string>;
}

/** A profile whose keys differ between the file and the new result. */
export interface ProfileChange {
  name: string;
  accountId: string;
  roleName: string;
  /** Keys whose values differ, with both values (undefined where a key is absent). */
  keys: { key: string; before: string | undefined; after: string | undefined }[];
}

/** What a plan does to one session's block. */
export interface SessionOutcome {
  session: string;
  added: Profile[];
  removed: ProfileRecord[];
  changed: ProfileChange[];
  /** Profiles that keep their account, role and region under a new name (new naming settings). */
  renamed: ProfileRename[];
  skipped: Skipped[];
  /** Profiles in the block after this plan is applied. */
  profileCount: number;
  /** Set when the update is held back by the removal guard; the block stays as it was. */
  held: { wouldRemove: number; of: number; maxRemovalShare: number } | undefined;
  /** Set when the block was edited by hand since sso-sync wrote it: the sections whose content is replaced. */
  handEdited: { sections: string[] } | undefined;
  /** True when a section outside the blocks defines this sso-session, so the block does not repeat it. */
  sessionDefinedOutside: boolean;
}

/** The result of planning. */
export type Plan =
  | {
      ok: true;
      text: string;
      changed: boolean;
      outcomes: SessionOutcome[];
      orphanBlocks: string[];
      /** Keys of `profiles.accounts` that matched no assignment of the sessions synced now. */
      unmatchedOverrides: string[];
    }
  | { ok: false; damage: Damage[] };

/** A plan that can be written. */
export type ReadyPlan = Extract<Plan, { ok: true }>;

function recordOf(section: SectionRef, before: ReadonlyMap<string, SectionRef>): ProfileRecord {
  // A role-chain profile stands for its source profile's assignment: it goes with it, and is renamed with it.
  const source = section.values.has('role_arn') ? section.values.get('source_profile') : undefined;
  const assignment = sectionAssignment(section.values);
  const sourceValues = source === undefined ? undefined : before.get(source)?.values;
  return {
    name: section.name,
    ...(assignment.accountId === undefined && sourceValues !== undefined
      ? sectionAssignment(sourceValues)
      : assignment),
    values: Object.fromEntries(section.values),
  };
}

/** True when a section holds exactly a profile's keys, in the order sso-sync writes them: nothing changed. */
function writtenAsIs(values: ReadonlyMap<string, string>, keys: readonly (readonly [string, string])[]): boolean {
  if (values.size !== keys.length) return false;
  let i = 0;
  for (const [key, value] of values) {
    const pair = keys[i++]!;
    if (key !== pair[0] || value !== pair[1]) return false;
  }
  return true;
}

/** The keys whose values differ between a section and a profile, with both values, by key. */
function changedKeys(values: Iterable<readonly [string, string]>, p: Profile): ProfileChange['keys'] {
  const was = Object.fromEntries(values);
  const now = Object.fromEntries(p.keys);
  return [...new Set([...Object.keys(was), ...Object.keys(now)])]
    .sort()
    .filter((k) => was[k] !== now[k])
    .map((key) => ({ key, before: was[key], after: now[key] }));
}

/** Keys and values that read back from `key = value` exactly as they are (lowercase keys, trimmed ASCII values). */
const plainKey = /^[a-z0-9_]+$/;
const plainValue = /^(?:[!-~](?:[ -~]*[!-~])?)?$/;

/**
 * Whether the keys and values of these profiles read back from their `key = value` lines as they are: then a block
 * that already holds their body has exactly these profiles, and its sections need not be read one by one. (A value
 * that would not read back as it is, with a trailing blank say, is compared the long way, as the AWS CLI reads it.)
 */
function readBackAsWritten(profiles: readonly Profile[]): boolean {
  for (let n = 0; n < profiles.length; n++) {
    const keys = profiles[n]!.keys;
    for (let i = 0; i < keys.length; i++)
      if (!plainKey.test(keys[i]![0]) || !plainValue.test(keys[i]![1])) return false;
  }
  return true;
}

/** The profiles a block's sections (`before`, by name) gain, lose and change with the new profiles. */
function diffProfiles(before: ReadonlyMap<string, SectionRef>, after: readonly Profile[]) {
  // A block written for the first time (or emptied): every profile is added.
  if (before.size === 0) return { added: [...after], changed: [], removed: [], renamed: [] };
  const added: Profile[] = [];
  const changed: ProfileChange[] = [];
  const afterNames = new Set(after.map((p) => p.name));
  // A name that now stands for another account or role is that profile removed and another added, not a change:
  // the guard counts it as a removal, and the log says so.
  const replaced = new Set<string>();
  for (let i = 0; i < after.length; i++) {
    const p = after[i]!;
    const old = before.get(p.name)?.values;
    if (!old) {
      added.push(p);
      continue;
    }
    const { accountId, roleName } = sectionAssignment(old);
    // A role-chain profile (its keys begin with source_profile) is another profile than an SSO one of that name,
    // and than a chain assuming another role.
    const arnBefore = old.get('role_arn');
    const arnNow = arnBefore === undefined && p.keys[0]?.[0] !== 'source_profile' ? undefined : keyOf(p, 'role_arn');
    if (
      (accountId !== undefined && accountId !== p.accountId) ||
      (roleName !== undefined && roleName !== p.roleName) ||
      arnBefore !== arnNow
    ) {
      added.push(p);
      replaced.add(p.name);
      continue;
    }
    if (writtenAsIs(old, p.keys)) continue;
    const keys = changedKeys(old, p);
    if (keys.length > 0) changed.push({ name: p.name, accountId: p.accountId, roleName: p.roleName, keys });
  }
  const removed = [...before.values()]
    .filter((s) => !afterNames.has(s.name) || replaced.has(s.name))
    .map((s) => recordOf(s, before));
  return { changed, ...pairRenames(added, removed, changedKeys) };
}

/**
 * The text of each section of a block body, by name (a profile's name, `[header]` for other sections, and
 * `(top of the block)` for lines before the first header), trailing blank lines left out.
 */
function sectionTexts(body: readonly string[]): Map<string, string> {
  const texts = new Map<string, string[]>();
  let name = '(top of the block)';
  for (const raw of body) {
    const line = raw.replace(/\r$/, '');
    const header = /^\s*\[(.+)\]/.exec(line)?.[1];
    if (header !== undefined) {
      const c = classifyHeader(header);
      name = c.kind === 'profile' ? c.name : `[${header}]`;
    }
    texts.set(name, [...(texts.get(name) ?? []), line]);
  }
  return new Map([...texts].map(([n, l]) => [n, l.join('\n').replace(/\n+$/, '')]));
}

/**
 * The names the file already uses: profiles outside the blocks rewritten now (the person's own sections, and other
 * sessions' blocks) with where they are, the `[sso-session]` sections outside the blocks, and the name each
 * assignment of a synced session has now, so that a sync of only some sessions keeps their suffixes.
 */
function namesInUse(scan: ScannedConfig, syncing: ReadonlySet<string>) {
  const takenProfiles = new TakenNames();
  const outsideSessions = new Map<string, SectionRef>();
  // Index loops: a `for of` loop makes an object for every step until V8 has optimised it.
  for (let i = 0; i < scan.outside.length; i++) {
    const s = scan.outside[i]!;
    if (s.kind === 'profile') takenProfiles.outside(s.name, s.line);
    if (s.kind === 'sso-session') outsideSessions.set(s.name, s);
  }
  for (const b of scan.blocks) {
    if (syncing.has(b.session)) continue;
    for (let i = 0; i < b.sections.length; i++) {
      const section = b.sections[i]!;
      if (section.kind === 'profile') takenProfiles.inBlock(section.name, b.session);
    }
  }
  // The profiles of the blocks rewritten now: their sections are read only when asked for (a block already as it
  // would be written needs none of them).
  let mine: { session: string; section: SectionRef }[] | undefined;
  const mineNow = () =>
    (mine ??= scan.blocks
      .filter((b) => syncing.has(b.session))
      .flatMap((b) =>
        b.sections.filter((s) => s.kind === 'profile').map((section) => ({ session: b.session, section })),
      ));
  // Reading each section's account and role takes a walk of its lines: done only when a name may be kept.
  let byAssignment: Map<string, string> | undefined;
  const previous: PreviousNames = {
    get names() {
      return mineNow().map((m) => m.section.name);
    },
    get: (key) => {
      byAssignment ??= new Map(
        mineNow().flatMap(({ session, section }) => {
          const { accountId, roleName } = sectionAssignment(section.values);
          if (!accountId || !roleName) return [];
          const region = section.values.get('region');
          const a = { session, accountId, roleName };
          // Known by the assignment alone and, for an assignment with several regions, by its region too.
          const byRegion: [string, string][] = region === undefined ? [] : [[profileKey(a, region), section.name]];
          return [[assignmentKey(a), section.name], ...byRegion];
        }),
      );
      return byAssignment.get(key);
    },
  };
  // The names role-chain profiles of the blocks rewritten now hold: a new generated profile does not take one.
  // Reading them walks every section's lines: done only when chains are configured.
  const chainHeld = () =>
    new Set(
      mineNow()
        .filter((m) => m.section.values.has('role_arn'))
        .map((m) => m.section.name),
    );
  return { takenProfiles, outsideSessions, previous, chainHeld };
}

/**
 * Profile names the file uses outside the blocks rewritten now, and where: the words for it are made only for a name
 * a generated profile is skipped for (a large config has many sections, and few of them matter).
 */
class TakenNames {
  /** A line outside the blocks (0-based), or the session whose block has the name. */
  private readonly where = new Map<string, number | { session: string }>();

  outside(name: string, line: number): void {
    this.where.set(name, line);
  }

  inBlock(name: string, session: string): void {
    this.where.set(name, { session });
  }

  has(name: string): boolean {
    return this.where.has(name);
  }

  get(name: string): string | undefined {
    const where = this.where.get(name);
    if (where === undefined) return undefined;
    return typeof where === 'number'
      ? `outside sso-sync's blocks (line ${where + 1})`
      : `in the sso-sync block of sso-session ${where.session}`;
  }
}

/**
 * The removal guard: whether a block's update is held, given the profiles it had (`had` of them), the profiles it
 * would have, and those it would remove.
 */
function heldByGuard(
  guard: RemovalGuard,
  had: number,
  mine: readonly Profile[],
  removed: readonly ProfileRecord[],
): SessionOutcome['held'] {
  let lost = 0;
  if (removed.length > 0) {
    // A profile only renamed (new rules) keeps its account and role: that is not a removal the guard counts.
    const stillAssigned = new Set(mine.map((p) => `${p.accountId}\n${p.roleName}`));
    lost = removed.filter((r) => !stillAssigned.has(`${r.accountId}\n${r.roleName}`)).length;
  }
  const share = had === 0 ? 0 : lost / had;
  const massRemoval = had > 0 && (mine.length === 0 || share > guard.maxRemovalShare);
  return massRemoval && !guard.allowMassRemoval
    ? { wouldRemove: lost, of: had, maxRemovalShare: guard.maxRemovalShare }
    : undefined;
}

/** The scan of a text: the one given when it is of that text (for the text it was made from, a check of identity). */
function scanOf(text: string, given: ScannedConfig | undefined): ScannedConfig {
  const bom = text.startsWith(bomBytes);
  return given !== undefined && given.bom === bom && given.text === (bom ? text.slice(bomBytes.length) : text)
    ? given
    : scanConfig(text);
}

/** One synced session's block as the plan would write it. */
interface Draft {
  session: SessionDef;
  region: BlockRegion | undefined;
  content: BlockContent;
  rendered: RenderedBlock;
  /** True when a section outside the blocks defines the session, so the block does not repeat it. */
  definedOutside: boolean;
}

/** What a plan draws its blocks from: the scan, the names settled, the names the file uses, the sessions by name. */
interface Drawing {
  scan: ScannedConfig;
  naming: Naming;
  names: ReturnType<typeof namesInUse>;
  sessions: ReadonlyMap<string, SessionDef>;
}

/** The profiles of the names as they stand now, and each synced session's block drawn with them. */
function draw(input: PlanInput, { scan, naming, names, sessions }: Drawing) {
  const named = naming.profilesOf(names.takenProfiles);
  const built = input.chains?.length ? yieldToChains(named, input.chains, names.chainHeld()) : named;
  const styled = styleProfiles(built.profiles, input.style, sessions);
  const result = withChains(styled, built, input.chains ?? [], names.takenProfiles);
  const ordered = [...input.fetched].sort((a, b) => (a.session.name < b.session.name ? -1 : 1));
  const drafts = ordered.map(({ session }): Draft => {
    const region = scan.blocks.find((b) => b.session === session.name);
    const definedOutside = names.outsideSessions.has(session.name);
    const content: BlockContent = {
      session: session.name,
      sessionSection: definedOutside ? undefined : session,
      profiles: result.profiles.filter((p) => p.session === session.name),
    };
    const current = region && { body: blockBody(scan, region), checksum: region.actualChecksum };
    return { session, region, content, rendered: renderBlock(content, scan.eol, current), definedOutside };
  });
  return { ...result, drafts };
}

/** The profile sections a block has now, by name (none without a block). */
function profileSections(region: BlockRegion | undefined): Map<string, SectionRef> {
  const before = new Map<string, SectionRef>();
  for (const s of region?.sections ?? []) if (s.kind === 'profile') before.set(s.name, s);
  return before;
}

/** The sections whose content a block's new text replaces, when the block was edited by hand since it was written. */
function handEdits(scan: ScannedConfig, draft: Draft): SessionOutcome['handEdited'] {
  const { region } = draft;
  if (!region || region.declaredChecksum === region.actualChecksum) return undefined;
  const old = sectionTexts(splitLines(scan.text.slice(region.bodyAt, region.endAt)).map((l) => l.text));
  const now = sectionTexts(renderBody(draft.content));
  const replaced = [...old].filter(([name, text]) => now.get(name) !== text).map(([name]) => name);
  return { sections: replaced.sort() };
}

/** What the plan does to one session's block; `skipped`: its assignments that have no profile. */
function outcomeOf(input: PlanInput, scan: ScannedConfig, draft: Draft, skipped: readonly Skipped[]): SessionOutcome {
  const { session, region, rendered } = draft;
  const mine = draft.content.profiles;
  // A block already as it would be written, with keys and values that read back as written, holds exactly these
  // profiles: nothing is added, removed or changed, the guard has nothing to hold, and its sections need no reading.
  const same = rendered.unchanged && readBackAsWritten(mine);
  const before = same ? undefined : profileSections(region);
  const diff = before ? diffProfiles(before, mine) : { added: [], changed: [], removed: [], renamed: [] };
  const held = before ? heldByGuard(input.guard, before.size, mine, diff.removed) : undefined;
  const unusable = input.fetched.find((f) => f.session.name === session.name)?.unusable ?? [];
  return {
    session: session.name,
    added: held ? [] : diff.added,
    removed: held ? [] : diff.removed,
    changed: held ? [] : diff.changed,
    renamed: held ? [] : diff.renamed,
    skipped: [
      ...unusableSkips(session.name, unusable),
      ...skipped.filter((s) => s.assignment.session === session.name),
    ],
    profileCount: held && before ? before.size : mine.length,
    held,
    handEdited: held ? undefined : handEdits(scan, draft),
    sessionDefinedOutside: draft.definedOutside,
  };
}

/** Plans one sync over a file's text; never reads or writes anything itself. */
export function planSync(input: PlanInput): Plan {
  const scan = scanOf(input.text ?? '', input.scan);
  if (scan.damage.length > 0) return { ok: false, damage: scan.damage };

  const names = namesInUse(scan, new Set(input.fetched.map((f) => f.session.name)));
  const sessions = new Map(input.fetched.map((f) => [f.session.name, f.session]));
  const naming = new Naming(
    input.fetched.flatMap((f) => f.assignments),
    input.rules,
    sessions,
  );
  const drawing: Drawing = { scan, naming, names, sessions };
  let drawn = draw(input, drawing);
  // A block already as it would be written holds only names settled now, so the names the blocks have now are weighed
  // (which reads their sections) only when a block differs, or when chains, which rename after the names are settled,
  // are configured.
  const weigh = Boolean(input.chains?.length) || drawn.drafts.some((d) => d.region && !d.rendered.unchanged);
  if (weigh && naming.keepPrevious(names.previous, names.takenProfiles)) drawn = draw(input, drawing);

  const blocks = new Map<string, string>();
  const outcomes = drawn.drafts.map((draft) => {
    const outcome = outcomeOf(input, scan, draft, drawn.skipped);
    if (!outcome.held) blocks.set(draft.session.name, draft.rendered.text);
    return outcome;
  });
  const configured = new Set(input.configuredSessions);
  const orphanBlocks = scan.blocks.filter((b) => !configured.has(b.session)).map((b) => b.session);
  const text = mergeBlocks(scan, blocks);
  return {
    ok: true,
    text,
    changed: text !== (input.text ?? ''),
    outcomes,
    orphanBlocks,
    unmatchedOverrides: drawn.unmatched,
  };
}
