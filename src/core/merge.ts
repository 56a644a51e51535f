/** Where file text is edited: (scanned file, new blocks) -> new file text, touching nothing outside the blocks. */
import { bomBytes, type ScannedConfig } from './config-text.js';

/** The last line of a non-empty text: its content without the ending, and the ending. */
function lastLine(text: string): { content: string; eol: string } {
  if (!text.endsWith('\n')) return { content: text.slice(text.lastIndexOf('\n') + 1), eol: '' };
  const start = text.lastIndexOf('\n', text.length - 2) + 1;
  const crlf = text.length - 1 > start && text[text.length - 2] === '\r';
  return { content: text.slice(start, text.length - (crlf ? 2 : 1)), eol: crlf ? '\r\n' : '\n' };
}

/**
 * Replaces each session's block with its new text (its lines joined with the file's line ending, nothing after the
 * END marker), or appends the block at the end of the file when the file has none. The text outside the blocks is
 * copied as it is, in whole pieces, with its own line endings. The caller has checked `scan.damage` is empty.
 */
export function mergeBlocks(scan: ScannedConfig, blocks: ReadonlyMap<string, string>): string {
  const { text, eol } = scan;
  const placed = new Set<string>();
  let out = '';
  let i = 0;
  let same = true;
  for (const region of [...scan.blocks].sort((a, b) => a.begin - b.begin)) {
    const replacement = blocks.get(region.session);
    if (replacement === undefined) continue;
    // A block at the very end keeps the file's missing final newline (or its own line ending).
    const last = lastLine(text.slice(region.endAt, region.afterAt)).eol;
    const block = replacement + last;
    same &&= block === text.slice(region.beginAt, region.afterAt);
    out += text.slice(i, region.beginAt) + block;
    i = region.afterAt;
    placed.add(region.session);
  }
  out += text.slice(i);

  const fresh = [...blocks.keys()].filter((s) => !placed.has(s)).sort();
  // Nothing to change (the usual sync): the text as it was, not a copy of it, so that telling is at once.
  if (same && fresh.length === 0) out = text;
  for (const session of fresh) {
    const block = blocks.get(session)!;
    if (out === '') {
      out = block + eol;
      continue;
    }
    // Keep the file's ending style: without a final newline the separator goes before the block and the
    // block ends without one; the bytes the person wrote stay as they are either way.
    const tail = lastLine(out);
    const missingFinalNewline = tail.eol === '';
    if (missingFinalNewline) out += eol;
    if (tail.content.trim() !== '') out += eol;
    out += block + (missingFinalNewline ? '' : eol);
  }
  return (scan.bom ? bomBytes : '') + out;
}
