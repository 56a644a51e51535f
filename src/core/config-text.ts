/**
 * Reading an AWS config as text: lines with their own endings, sections as the AWS CLI sees them, and
 * sso-sync's managed blocks. The text is a "byte string" (each char one byte, latin1), so that whatever bytes
 * the file holds, including invalid UTF-8, are written back exactly.
 *
 * A scan keeps the text and offsets into it, not an object per line: a config of tens of megabytes is scanned
 * with little more memory than its own text, and the merge copies the text around the blocks in whole pieces.
 */
import { createHash } from 'node:crypto';
import { Repeats } from './repeats.js';
import { sectionsIn, walkSections, type SectionRef } from './sections.js';

export { classifyHeader, pyStrip, shellWords, type SectionRef } from './sections.js';

/** One line of the file: its text without the ending, and the ending itself (`''` on a last line without one). */
export interface Line {
  text: string;
  eol: '\r\n' | '\n' | '';
}

/** An sso-sync managed block found in the file. */
export interface BlockRegion {
  session: string;
  /** 0-based line indexes of the BEGIN and END markers. */
  begin: number;
  end: number;
  /**
   * Offsets in the scanned text (after any byte-order mark): where the BEGIN line starts, where the line after it
   * starts, where the END line starts, and where the line after the END line starts (the text's end, at the end).
   */
  beginAt: number;
  bodyAt: number;
  endAt: number;
  afterAt: number;
  /** The checksum written in the BEGIN marker and the one the body has now; they differ after a hand edit. */
  declaredChecksum: string;
  readonly actualChecksum: string;
  /** Sections inside the block, read when first asked for (a sync that finds it as it would write it needs none). */
  readonly sections: SectionRef[];
}

/** Why a file cannot be merged; each names a 1-based line. */
export interface Damage {
  line: number;
  problem: string;
}

/** A whole file, understood. */
export interface ScannedConfig {
  /** The file's text after the byte-order mark, if it has one. */
  text: string;
  /** The lines of `text`, made when asked for (the merge itself works on offsets). */
  readonly lines: Line[];
  bom: boolean;
  /** The line ending new lines are written with: the file's first, or `\n` for a file without any. */
  eol: '\r\n' | '\n';
  blocks: BlockRegion[];
  /** Sections outside every managed block. */
  outside: SectionRef[];
  damage: Damage[];
}

/** A UTF-8 byte-order mark, as a byte string. */
export const bomBytes = '\xEF\xBB\xBF';
const markerPrefix = 'sso-sync';
/** Recognises anything that claims to be a marker, however damaged, so that damage is refused, not ignored. */
const markerLike = /^\s*[#;]+\s*(BEGIN|END)\s+sso-sync\b/i;
const beginMarker = /^# BEGIN sso-sync ([A-Za-z0-9._-]+) \(.*\bchecksum ([0-9a-f]{8})\)$/;
const endMarker = /^# END sso-sync ([A-Za-z0-9._-]+)$/;

/** Splits a byte string into lines, keeping each line's own ending (a lone `\r` stays inside the line). */
export function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) {
      lines.push({ text: text.slice(start), eol: '' });
      break;
    }
    const crlf = nl > start && text[nl - 1] === '\r';
    lines.push({ text: text.slice(start, crlf ? nl - 1 : nl), eol: crlf ? '\r\n' : '\n' });
    start = nl + 1;
  }
  return lines;
}

/** Joins lines back; `joinLines(splitLines(t)) === t` for every t. */
export function joinLines(lines: readonly Line[]): string {
  let out = '';
  for (const l of lines) out += l.text + l.eol;
  return out;
}

/** The checksum of a block body: its lines joined with `\n`, so a CRLF conversion is not a hand edit. */
export function bodyChecksum(bodyLines: readonly string[]): string {
  return checksumOf(bodyLines.join('\n'));
}

/** The checksum of a block body given as its lines joined with `\n`. */
export function checksumOf(body: string): string {
  return createHash('sha256').update(body, 'latin1').digest('hex').slice(0, 8);
}

/**
 * The body of a block as its checksum sees it: the lines between the markers, each without its ending and without
 * one more CR before it (as bodyChecksum is given them), joined with `\n`.
 */
export function blockBody(scan: Pick<ScannedConfig, 'text'>, region: Pick<BlockRegion, 'bodyAt' | 'endAt'>): string {
  const raw = scan.text.slice(region.bodyAt, region.endAt);
  return (raw.includes('\r') ? raw.replace(/\r{1,2}\n/g, '\n') : raw).slice(0, -1);
}

/** The BEGIN marker line for a session's block with the given body checksum. */
export function beginMarkerLine(session: string, checksum: string): string {
  return `# BEGIN ${markerPrefix} ${session} (managed: edits inside are replaced; checksum ${checksum})`;
}

/** The END marker line for a session's block. */
export function endMarkerLine(session: string): string {
  return `# END ${markerPrefix} ${session}`;
}

/**
 * Walks the lines as Python's configparser does (the AWS CLI's parser): comment lines are skipped wherever
 * they stand, an indented line after an option continues its value, any other `[...]` line opens a section.
 * Returns the sections of lines [from, to), with names and values decoded from UTF-8.
 */
export function readSections(lines: readonly Line[], from = 0, to = lines.length): SectionRef[] {
  const text = joinLines(lines.slice(from, to));
  const sections: SectionRef[] = [];
  sectionsIn(text, 0, text.length, from, sections);
  return sections;
}

/** A line that claims to be a marker: its index, where it starts and where the next line starts, its trimmed text. */
interface MarkerLine {
  line: number;
  start: number;
  next: number;
  text: string;
}

/**
 * The lines that look like sso-sync markers. Only a line that holds `sso-sync` (in any case) can, so the text is
 * searched for that, not read line by line.
 */
function markerLines(text: string): MarkerLine[] {
  const found: MarkerLine[] = [];
  const mention = /sso-sync/gi;
  let line = 0;
  let counted = 0; // `line` is the number of line breaks before `counted`
  for (let m = mention.exec(text); m !== null; m = mention.exec(text)) {
    const start = text.lastIndexOf('\n', m.index) + 1;
    for (let nl = text.indexOf('\n', counted); nl !== -1 && nl < start; nl = text.indexOf('\n', nl + 1)) line++;
    counted = start;
    const nl = text.indexOf('\n', m.index);
    const next = nl === -1 ? text.length : nl + 1;
    mention.lastIndex = next;
    // Trailing blanks and CRs are tolerated: a CRLF file, an editor that pads lines.
    let end = nl === -1 ? text.length : nl;
    for (let c = text.charCodeAt(end - 1); end > start && (c === 32 || c === 9 || c === 13);)
      c = text.charCodeAt(--end - 1);
    const trimmed = text.slice(start, end);
    if (markerLike.test(trimmed)) found.push({ line, start, next, text: trimmed });
  }
  return found;
}

/** The blocks the markers delimit, and the damage among them. */
function findBlocks(text: string): { blocks: BlockRegion[]; damage: Damage[] } {
  const damage: Damage[] = [];
  const blocks: BlockRegion[] = [];
  let open: { session: string; marker: MarkerLine; checksum: string } | undefined;
  for (const marker of markerLines(text)) {
    const i = marker.line;
    const begin = beginMarker.exec(marker.text);
    const end = endMarker.exec(marker.text);
    if (!begin && !end) {
      damage.push({
        line: i + 1,
        problem: 'a damaged sso-sync marker (it must stand at the start of the line, exactly as sso-sync wrote it)',
      });
    } else if (begin) {
      if (open)
        damage.push({
          line: i + 1,
          problem:
            `a BEGIN marker inside the block for "${open.session}" opened on line ${open.marker.line + 1} (its END ` +
            `marker is missing)`,
        });
      open = { session: begin[1]!, marker, checksum: begin[2]! };
    } else if (!open) {
      damage.push({ line: i + 1, problem: `an END marker for "${end![1]}" without a BEGIN marker before it` });
    } else if (end![1] !== open.session) {
      damage.push({
        line: i + 1,
        problem:
          `an END marker for "${end![1]}" closing the block for "${open.session}" opened on line ` +
          `${open.marker.line + 1}`,
      });
      open = undefined;
    } else {
      const { marker: begin } = open;
      let sections: SectionRef[] | undefined;
      let checksum: string | undefined;
      blocks.push({
        session: open.session,
        begin: open.marker.line,
        end: i,
        beginAt: open.marker.start,
        bodyAt: open.marker.next,
        endAt: marker.start,
        afterAt: marker.next,
        declaredChecksum: open.checksum,
        // Made when first asked for: `status` reads the blocks' sections, never their checksums.
        get actualChecksum() {
          checksum ??= checksumOf(blockBody({ text }, { bodyAt: begin.next, endAt: marker.start }));
          return checksum;
        },
        get sections() {
          if (sections === undefined) {
            sections = [];
            sectionsIn(text, begin.next, marker.start, begin.line + 1, sections);
          }
          return sections;
        },
      });
      open = undefined;
    }
  }
  if (open) damage.push({ line: open.marker.line + 1, problem: `the block for "${open.session}" has no END marker` });
  return { blocks, damage };
}

/** Reads a whole file: its lines, blocks, the sections outside the blocks, and any damage to the markers. */
export function scanConfig(file: string): ScannedConfig {
  const bom = file.startsWith(bomBytes);
  const text = bom ? file.slice(bomBytes.length) : file;
  // A file whose only line ends in a lone CR becomes CRLF once a newline follows it; choosing CRLF now keeps the
  // next sync's choice the same.
  const nl = text.indexOf('\n');
  const eol: '\r\n' | '\n' = (nl === -1 ? text.endsWith('\r') : nl > 0 && text[nl - 1] === '\r') ? '\r\n' : '\n';
  const { blocks, damage } = findBlocks(text);

  const seen = new Map<string, number>();
  for (const b of blocks) {
    const first = seen.get(b.session);
    if (first !== undefined)
      damage.push({
        line: b.begin + 1,
        problem: `a second block for "${b.session}" (the first starts on line ${first + 1})`,
      });
    else seen.set(b.session, b.begin);
  }

  const outside: SectionRef[] = [];
  let from = 0;
  let fromLine = 0;
  for (const b of blocks) {
    sectionsIn(text, from, b.beginAt, fromLine, outside);
    from = b.afterAt;
    fromLine = b.end + 1;
  }
  sectionsIn(text, from, text.length, fromLine, outside);
  return {
    text,
    get lines() {
      return splitLines(text);
    },
    bom,
    eol,
    blocks,
    outside,
    damage,
  };
}

/**
 * Why the AWS CLI cannot read a file for a section or a key given twice (a file sso-sync can still merge). The
 * file is walked whole, as Python's parser walks it: sso-sync's markers are only comments there, so a line after
 * an END marker belongs to the block's last section (`echo 'region = x' >> ~/.aws/config` after a block).
 */
export function unreadableIn(file: string): Damage[] {
  const text = file.startsWith(bomBytes) ? file.slice(bomBytes.length) : file;
  const repeats = new Repeats(() => markerLines(text).flatMap((m) => (endMarker.test(m.text) ? [m.line] : [])));
  walkSections(text, 0, text.length, 0, repeats);
  return repeats.found();
}
