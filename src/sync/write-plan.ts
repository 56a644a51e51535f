/**
 * Writing a sync's plan into the AWS config: merged again whenever the file changed meanwhile, with a backup of a
 * hand edit before it is replaced, and a copy of another program's change that could not be merged.
 */
import type { Clock } from '../clock/clock.js';
import { writeConfig, type ConfigSnapshot, type WriteOptions } from '../config-file/config-file.js';
import type { ReadyPlan } from '../core/plan.js';
import type { Logger } from '../log/logger.js';
import { warnOfTakeover } from '../log/takeover-warning.js';
import { backupHandEdit, saveCopy } from './backups.js';
import { logOwnerLost, logWritersWait } from './sync-log.js';

/** What writing a plan needs. */
export interface PlanWrite {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  log: Logger;
  /** The file as read first, and the plan made on it. */
  snapshot: ConfigSnapshot;
  firstPlan: ReadyPlan;
  /** Plans again on content another program changed meanwhile. */
  planFor: (text: string | undefined) => ReadyPlan;
  /** The writer's test hooks. */
  hooks?: Pick<WriteOptions, 'afterTempWritten' | 'afterRename'> | undefined;
}

/** How writing a plan ended. */
export interface PlanWritten {
  /** The plan of the last merge: the one written, or found already in place. */
  plan: ReadyPlan;
  written: boolean;
  /** The file's content as the write left it, as far as sso-sync knows. */
  configText: string | undefined;
  /** How many times the merge was redone on another program's change. */
  redone: number;
  /** Where the file with a replaced hand edit was saved. */
  backup: string | undefined;
}

/** Writes the plan, planning again on every change another program makes to the file meanwhile. */
export async function writePlan(input: PlanWrite): Promise<PlanWritten> {
  const { env, clock, snapshot, firstPlan, planFor } = input;
  let plan = firstPlan;
  let backup: string | undefined;
  let backedUp: string | undefined;
  const result = await writeConfig(
    snapshot,
    (current) => {
      // The plan for the content read first is already made; only a file changed meanwhile needs a new one
      // (and a file changed back to what was read first gets the first plan again).
      plan = current === snapshot.text ? firstPlan : planFor(current);
      return plan.changed ? plan.text : undefined;
    },
    {
      ...input.hooks,
      clock,
      onLockTakeover: warnOfTakeover(input.log),
      onWritersWait: (writers, file) => logWritersWait(input.log, file, writers),
      onOwnerLost: (file, owner) => logOwnerLost(input.log, file, owner),
      keepUnmerged: (text) => saveCopy(env, clock, text),
      beforeCommit: async (previous) => {
        // Called before every try of the write; one backup of each content is enough.
        if (previous !== undefined && previous !== backedUp && plan.outcomes.some((o) => o.handEdited)) {
          backup = await backupHandEdit(env, clock, previous, snapshot.path);
          backedUp = previous;
        }
      },
    },
  );
  // Written, or found already as it should be after a redo on another program's change.
  const configText = result.written || !plan.changed ? plan.text : snapshot.text;
  return { plan, written: result.written, configText, redone: result.redone, backup };
}
