/** What a dry run prints: the change the sync would make to the AWS config, as a unified diff. */
import { createTwoFilesPatch } from 'diff';
import type { ReadyPlan } from '../core/plan.js';
import { maskSecretValues } from '../core/secrets.js';

/**
 * A unified diff from the file as it is (`before`, a byte string) to the file as the plan would leave it, or a line
 * saying nothing would change. The person's own lines appear as context: a credential among them is shown masked.
 */
export function dryRunReport(file: string, before: string | undefined, plan: Pick<ReadyPlan, 'changed' | 'text'>) {
  if (!plan.changed) return `no change to ${file}\n`;
  const show = (t: string | undefined) => maskSecretValues(Buffer.from(t ?? '', 'latin1').toString('utf8'));
  return createTwoFilesPatch(file, file, show(before), show(plan.text), 'current', 'after sync (dry run)');
}
