/** What a dry run prints: the change the sync would make to the AWS config, as a unified diff. */
import { createTwoFilesPatch } from 'diff';
import type { ReadyPlan } from '../core/plan.js';
import { maskSecretValues } from '../core/secrets.js';

/**
 * A unified diff from the file as it is (`before`, a byte string) to the file as the plan would leave it, or a line
 * saying nothing would change. The person's own lines appear as context: a credential among them is shown masked.
 * Sessions that could not be fetched (`failed`) were not compared: the report says so rather than "no change".
 */
export function dryRunReport(
  file: string,
  before: string | undefined,
  plan: Pick<ReadyPlan, 'changed' | 'text'> & { outcomes?: ReadyPlan['outcomes'] },
  failed: readonly string[] = [],
): string {
  const blocks = failed.length === 1 ? 'its block was' : 'their blocks were';
  const notCompared =
    failed.length === 0
      ? ''
      : `sso-session ${failed.join(', ')} could not be fetched (see above), so ${blocks} not compared\n`;
  if (!plan.changed) return notCompared === '' ? `no change to ${file}\n` : notCompared;
  const show = (t: string | undefined) => maskSecretValues(Buffer.from(t ?? '', 'latin1').toString('utf8'));
  // A diff cannot say that a section removed here is the one added there under a new name: the report says so.
  const renames = (plan.outcomes ?? []).flatMap((o) =>
    o.renamed.map((r) => `renamed ${r.from} -> ${r.to} (sso-session ${o.session})\n`),
  );
  return (
    createTwoFilesPatch(file, file, show(before), show(plan.text), 'current', 'after sync (dry run)') +
    renames.join('') +
    notCompared
  );
}
