/** Where file text is edited: (scanned file, new blocks) -> new file text, touching nothing outside the blocks. */
import { bomBytes, joinLines, type Line, type ScannedConfig } from './config-text.js';

/**
 * Replaces each session's block with its new lines, or appends the block at the end of the file when the
 * file has none. Lines outside the blocks are kept as they are, with their own line endings; new lines take
 * the file's line ending. The caller has checked `scan.damage` is empty.
 */
export function mergeBlocks(scan: ScannedConfig, blocks: ReadonlyMap<string, readonly string[]>): string {
  const out: Line[] = [];
  const withEol = (text: string): Line => ({ text, eol: scan.eol });
  const placed = new Set<string>();
  // A loop, not push(...slice): spreading a very large file's lines into arguments overflows the stack.
  const keep = (from: number, to: number) => {
    for (let k = from; k < to; k++) out.push(scan.lines[k]!);
  };
  let i = 0;
  for (const region of [...scan.blocks].sort((a, b) => a.begin - b.begin)) {
    const replacement = blocks.get(region.session);
    if (replacement === undefined) continue;
    keep(i, region.begin);
    const last = scan.lines[region.end]!.eol; // a block at the very end keeps the file's missing final newline
    replacement.forEach((text, k) => out.push(k === replacement.length - 1 ? { text, eol: last } : withEol(text)));
    i = region.end + 1;
    placed.add(region.session);
  }
  keep(i, scan.lines.length);

  const fresh = [...blocks.keys()].filter((s) => !placed.has(s)).sort();
  for (const session of fresh) {
    const lines = blocks.get(session)!;
    const tail = out.at(-1);
    if (tail !== undefined) {
      // Keep the file's ending style: without a final newline the separator goes before the block and the
      // block ends without one; the bytes the person wrote stay as they are either way.
      const missingFinalNewline = tail.eol === '';
      if (missingFinalNewline) out[out.length - 1] = { text: tail.text, eol: scan.eol };
      if (tail.text.trim() !== '') out.push(withEol(''));
      lines.forEach((text, k) =>
        out.push(k === lines.length - 1 && missingFinalNewline ? { text, eol: '' } : withEol(text)),
      );
    } else {
      for (const text of lines) out.push(withEol(text));
    }
  }
  return (scan.bom ? bomBytes : '') + joinLines(out);
}
