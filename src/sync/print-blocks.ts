/**
 * What `sso-sync --once --print` prints: the managed blocks the sync would write, markers included, for people who
 * keep their AWS config in dotfiles and paste or template the blocks themselves.
 */
import { scanConfig } from '../core/config-text.js';
import type { ReadyPlan } from '../core/plan.js';

/**
 * The blocks of `sessions` in the file as the plan would leave it, in the order of the plan's outcomes (by session
 * name), each ending with a line break and separated by a blank line, as UTF-8 text. A session whose update the
 * removal guard holds keeps its block as it is: that block is what the file would hold, so it is printed. Sessions
 * left out of `sessions` (those that could not be fetched) are not printed: their blocks were not made again.
 */
export function printedBlocks(plan: Pick<ReadyPlan, 'text' | 'outcomes'>, sessions: readonly string[]): string {
  const scan = scanConfig(plan.text);
  const wanted = new Set(sessions);
  const blocks: string[] = [];
  for (const o of plan.outcomes) {
    if (!wanted.has(o.session)) continue;
    const block = scan.blocks.find((b) => b.session === o.session);
    if (block === undefined) continue;
    const text = scan.text.slice(block.beginAt, block.afterAt);
    blocks.push(/\n$/.test(text) ? text : `${text}${scan.eol}`);
  }
  return Buffer.from(blocks.join(scan.eol), 'latin1').toString('utf8');
}
