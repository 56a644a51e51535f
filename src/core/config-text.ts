/**
 * Reading an AWS config as text: lines with their own endings, sections as the AWS CLI sees them, and
 * sso-sync's managed blocks. The text is a "byte string" (each char one byte, latin1), so that whatever bytes
 * the file holds, including invalid UTF-8, are written back exactly.
 */
import { createHash } from 'node:crypto';

/** One line of the file: its text without the ending, and the ending itself (`''` on a last line without one). */
export interface Line {
  text: string;
  eol: '\r\n' | '\n' | '';
}

/** A section header as the AWS CLI reads it. */
export interface SectionRef {
  /** `profile` for `[profile X]` and `[default]`, `sso-session` for `[sso-session X]`, else `other`. */
  kind: 'profile' | 'sso-session' | 'other';
  /** The name the AWS CLI uses (quotes removed), or the raw header for `other`. */
  name: string;
  /** 0-based line index of the header. */
  line: number;
  /** The `key = value` pairs directly in the section (continuation lines joined with `\n`). */
  values: Map<string, string>;
  /** The text between the brackets: the AWS CLI's parser refuses a file with the same one twice. */
  header: string;
  /** Keys given again in the section (0-based lines), which the AWS CLI's parser refuses too. */
  repeatedKeys?: { key: string; line: number }[];
}

/** An sso-sync managed block found in the file. */
export interface BlockRegion {
  session: string;
  /** 0-based line indexes of the BEGIN and END markers. */
  begin: number;
  end: number;
  /** The checksum written in the BEGIN marker and the one the body has now; they differ after a hand edit. */
  declaredChecksum: string;
  actualChecksum: string;
  /** Sections inside the block. */
  sections: SectionRef[];
}

/** Why a file cannot be merged; each names a 1-based line. */
export interface Damage {
  line: number;
  problem: string;
}

/** A whole file, understood. */
export interface ScannedConfig {
  lines: Line[];
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
  return createHash('sha256').update(bodyLines.join('\n'), 'latin1').digest('hex').slice(0, 8);
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
 * Splits a section header's words as Python's `shlex.split` does (the AWS CLI's rule): whitespace is space, tab,
 * CR and LF; quotes group; a backslash escapes any character outside quotes, and only `"` and `\\` inside double
 * quotes. Undefined where shlex raises (an unclosed quote, a trailing backslash).
 */
export function shellWords(text: string): string[] | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) word += text.charAt(++i);
      else word += ch;
    } else if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      inWord = true;
      if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '\\') {
        if (i + 1 >= text.length) return undefined;
        word += text.charAt(++i);
      } else word += ch;
    }
  }
  if (quote !== undefined) return undefined;
  if (inWord) words.push(word);
  return words;
}

/**
 * Classifies a section header's inner text as the AWS CLI does: a header that merely *starts* with `profile`
 * or `sso-session` and splits into two words names that profile or session (`[profile-old prod]` is profile
 * `prod` to the CLI), and `default` is the default profile.
 */
export function classifyHeader(header: string): { kind: SectionRef['kind']; name: string } {
  if (header === 'default') return { kind: 'profile', name: 'default' };
  for (const kind of ['profile', 'sso-session'] as const) {
    if (header.startsWith(kind)) {
      const words = shellWords(header);
      return words?.length === 2 ? { kind, name: words[1]! } : { kind: 'other', name: header };
    }
  }
  return { kind: 'other', name: header };
}

// Python's whitespace (str.strip, and \s in its re): wider than JavaScript's trim, which also strips U+FEFF.
const pySpace = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const pyStripRe = new RegExp(`^[${pySpace}]+|[${pySpace}]+$`, 'g');
const pyLeadingRe = new RegExp(`^[${pySpace}]*`);
const pyOptionRe = new RegExp(`^([^\\n]*?)[${pySpace}]*[=:][${pySpace}]*([^\\n]*)$`);

const pySpaceChar = new RegExp(`[${pySpace}]`);

/** Python's `str.strip()`. */
export function pyStrip(text: string): string {
  // Most lines have nothing to strip: two character tests instead of a scan of the line.
  if (text === '' || (!pySpaceChar.test(text[0]!) && !pySpaceChar.test(text[text.length - 1]!))) return text;
  return text.replace(pyStripRe, '');
}

/**
 * The lines Python reads from some of the file's lines: decoded as UTF-8 and split on every line break its
 * universal newlines know, a lone `\r` included (sso-sync's own lines break only at `\n`).
 */
function pythonLines(lines: readonly Line[], from: number, to: number): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  for (let i = from; i < to; i++) {
    const raw = lines[i]!.text;
    const text = /[\x80-\xff]/.test(raw) ? Buffer.from(raw, 'latin1').toString('utf8') : raw;
    if (!text.includes('\r')) out.push({ text, line: i });
    else for (const piece of text.split('\r')) out.push({ text: piece, line: i });
  }
  return out;
}

/**
 * Walks the lines as Python's configparser does (the AWS CLI's parser): comment lines are skipped wherever
 * they stand, an indented line after an option continues its value, any other `[...]` line opens a section.
 * Returns the sections of lines [from, to), with names and values decoded from UTF-8.
 */
export function readSections(lines: readonly Line[], from = 0, to = lines.length): SectionRef[] {
  const sections: SectionRef[] = [];
  let current: SectionRef | undefined;
  let option: string | undefined;
  let indentLevel = 0;
  for (const { text: raw, line } of pythonLines(lines, from, to)) {
    const value = pyStrip(raw);
    if (value === '' || value.startsWith('#') || value.startsWith(';')) continue;
    const indent = pyLeadingRe.exec(raw)![0].length;
    if (current !== undefined && option !== undefined && indent > indentLevel) {
      current.values.set(option, `${current.values.get(option) ?? ''}\n${value}`);
      continue;
    }
    indentLevel = indent;
    // Python's `.` stops only at \n; JavaScript's stops at \u2028 and \u2029 too.
    const header = /^\[([^\n]+)\]/.exec(value);
    if (header) {
      current = { ...classifyHeader(header[1]!), line, values: new Map(), header: header[1]! };
      sections.push(current);
      option = undefined;
      continue;
    }
    const eq = pyOptionRe.exec(value);
    if (current !== undefined && eq && eq[1] !== '') {
      option = pyStrip(eq[1]!).toLowerCase();
      if (current.values.has(option)) (current.repeatedKeys ??= []).push({ key: option, line });
      current.values.set(option, pyStrip(eq[2]!));
    }
  }
  return sections;
}

/** Reads a whole file: its lines, blocks, the sections outside the blocks, and any damage to the markers. */
export function scanConfig(text: string): ScannedConfig {
  const bom = text.startsWith(bomBytes);
  const lines = splitLines(bom ? text.slice(bomBytes.length) : text);
  // A file whose only line ends in a lone CR becomes CRLF once a newline follows it; choosing CRLF now keeps the
  // next sync's choice the same.
  const eol: '\r\n' | '\n' =
    lines.find((l) => l.eol !== '')?.eol || (lines.at(-1)?.text.endsWith('\r') ? '\r\n' : '\n');
  const damage: Damage[] = [];
  const blocks: BlockRegion[] = [];
  let open: { session: string; begin: number; checksum: string } | undefined;

  lines.forEach((line, i) => {
    const text = line.text.replace(/[ \t\r]+$/, '');
    if (!markerLike.test(text)) return;
    const begin = beginMarker.exec(text);
    const end = endMarker.exec(text);
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
            `a BEGIN marker inside the block for "${open.session}" opened on line ${open.begin + 1} (its END marker ` +
            `is missing)`,
        });
      open = { session: begin[1]!, begin: i, checksum: begin[2]! };
    } else if (!open) {
      damage.push({ line: i + 1, problem: `an END marker for "${end![1]}" without a BEGIN marker before it` });
    } else if (end![1] !== open.session) {
      damage.push({
        line: i + 1,
        problem:
          `an END marker for "${end![1]}" closing the block for "${open.session}" opened on line ` +
          `${open.begin + 1}`,
      });
      open = undefined;
    } else {
      const body = lines.slice(open.begin + 1, i).map((l) => l.text.replace(/\r$/, ''));
      blocks.push({
        session: open.session,
        begin: open.begin,
        end: i,
        declaredChecksum: open.checksum,
        actualChecksum: bodyChecksum(body),
        sections: readSections(lines, open.begin + 1, i),
      });
      open = undefined;
    }
  });
  if (open) damage.push({ line: open.begin + 1, problem: `the block for "${open.session}" has no END marker` });

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

  let outside: SectionRef[] = [];
  let from = 0;
  for (const b of blocks) {
    outside = outside.concat(readSections(lines, from, b.begin));
    from = b.end + 1;
  }
  outside = outside.concat(readSections(lines, from, lines.length));
  return { lines, bom, eol, blocks, outside, damage };
}

/**
 * Why the AWS CLI cannot read a file for a section or a key given twice (a file sso-sync can still merge). The
 * file is walked whole, as Python's parser walks it: sso-sync's markers are only comments there, so a line after
 * an END marker belongs to the block's last section (`echo 'region = x' >> ~/.aws/config` after a block).
 */
export function unreadableIn(text: string): Damage[] {
  const lines = splitLines(text.startsWith(bomBytes) ? text.slice(bomBytes.length) : text);
  const ends = lines.flatMap((l, i) =>
    l.text.startsWith('# END ') && endMarker.test(l.text.replace(/[ \t\r]+$/, '')) ? [i] : [],
  );
  return repeats(readSections(lines), ends);
}

/**
 * What the AWS CLI's parser (Python's configparser, strict) refuses: a section header given twice, and a key given
 * twice in one section. `[DEFAULT]` is the parser's own section and may come twice, but not a key in it.
 */
function repeats(sections: readonly SectionRef[], ends: readonly number[] = []): Damage[] {
  const found: Damage[] = [];
  const first = new Map<string, number>();
  const defaultKeys = new Map<string, number>();
  for (const s of sections) {
    const earlier = first.get(s.header);
    if (earlier !== undefined && s.header !== 'DEFAULT')
      found.push({ line: s.line + 1, problem: `[${s.header}] again (first on line ${earlier + 1})` });
    else if (earlier === undefined) first.set(s.header, s.line);
    for (const r of s.repeatedKeys ?? []) {
      // A key written after a block, before any header, is the block's last section's to the AWS CLI.
      const after = ends.some((e) => e > s.line && e < r.line)
        ? ", after the END marker of sso-sync's block, which the AWS CLI reads as part of that section"
        : '';
      found.push({ line: r.line + 1, problem: `${r.key} again in [${s.header}]${after}` });
    }
    if (s.header !== 'DEFAULT') continue;
    for (const key of s.values.keys()) {
      const before = defaultKeys.get(key);
      if (before !== undefined)
        found.push({ line: s.line + 1, problem: `${key} again in [DEFAULT] (first in the one on line ${before + 1})` });
      else defaultKeys.set(key, s.line);
    }
  }
  return found.sort((a, b) => a.line - b.line);
}
