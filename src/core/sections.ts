/**
 * Sections as the AWS CLI reads them (Python's configparser): headers, their kinds and names, and the values in
 * them. The reader walks a byte string (latin1) by offsets and makes no object per line: a large config is read
 * with little more memory than its text, and a section's values are read only when asked for.
 */

/** A section header as the AWS CLI reads it. */
export interface SectionRef {
  /** `profile` for `[profile X]` and `[default]`, `sso-session` for `[sso-session X]`, else `other`. */
  kind: 'profile' | 'sso-session' | 'other';
  /** The name the AWS CLI uses (quotes removed), or the raw header for `other`. */
  name: string;
  /** 0-based line index of the header. */
  line: number;
  /** The `key = value` pairs directly in the section (continuation lines joined with `\n`), read when first asked. */
  readonly values: Map<string, string>;
  /** The text between the brackets: the AWS CLI's parser refuses a file with the same one twice. */
  header: string;
}

/**
 * Splits a section header's words as Python's `shlex.split` does (the AWS CLI's rule): whitespace is space, tab,
 * CR and LF; quotes group; a backslash escapes any character outside quotes, and only `"` and `\\` inside double
 * quotes. Undefined where shlex raises (an unclosed quote, a trailing backslash).
 */
export function shellWords(text: string): string[] | undefined {
  // Without quotes and backslashes, the words are the runs between blanks (the usual `profile NAME`).
  if (!/["'\\]/.test(text)) return text.split(/[ \t\r\n]+/).filter((w) => w !== '');
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

/** A name that shlex leaves as it is: no blanks, quotes or backslashes. */
const plainName = /^[^ \t\r\n"'\\]+$/;

/**
 * Classifies a section header's inner text as the AWS CLI does: a header that merely *starts* with `profile`
 * or `sso-session` and splits into two words names that profile or session (`[profile-old prod]` is profile
 * `prod` to the CLI), and `default` is the default profile.
 */
export function classifyHeader(header: string): { kind: SectionRef['kind']; name: string } {
  const kind = kindOf(header);
  return { kind, name: nameOf(header, kind) };
}

/** The kind of a header (see classifyHeader). */
function kindOf(header: string): SectionRef['kind'] {
  if (header === 'default') return 'profile';
  const kind = header.startsWith('profile') ? 'profile' : header.startsWith('sso-session') ? 'sso-session' : 'other';
  if (kind === 'other' || plainAfter(header, kind)) return kind;
  return shellWords(header)?.length === 2 ? kind : 'other';
}

/** `profile NAME` or `sso-session NAME` with one space and a plain name: the headers nearly every file is made of. */
const plainAfter = (header: string, kind: string) =>
  header.charCodeAt(kind.length) === 32 && plainName.test(header.slice(kind.length + 1));

/** The name of a header of that kind (see classifyHeader). */
function nameOf(header: string, kind: SectionRef['kind']): string {
  if (kind === 'other' || header === 'default') return header;
  return plainAfter(header, kind) ? header.slice(kind.length + 1) : shellWords(header)![1]!;
}

/** Python's whitespace (str.strip, and \s in its re): wider than JavaScript's trim, which also strips U+FEFF. */
function isPySpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13) || c >= 28;
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** Python's `str.strip()`. */
export function pyStrip(text: string): string {
  let a = 0;
  let b = text.length;
  while (a < b && isPySpace(text.charCodeAt(a))) a++;
  while (b > a && isPySpace(text.charCodeAt(b - 1))) b--;
  return a === 0 && b === text.length ? text : text.slice(a, b);
}

/**
 * What the reader reports, as offsets into `str`: the file's text itself, or, for a line with bytes above 0x7f or
 * a lone CR, that line decoded from UTF-8 or the piece of it between CRs. Nothing is sliced unless a visitor does.
 */
export interface SectionVisitor {
  /**
   * A section header: its inner text str[start, end), its line, and where its line starts in the text and which of
   * the line's CR-separated pieces it is (so that the section can be read again from there). False stops the reading.
   */
  header(str: string, start: number, end: number, line: number, lineStart: number, piece: number): boolean;
  /** An option of the current section: its key in str[keyStart, keyEnd) (not yet lowercased), its value. */
  option(str: string, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number, line: number): void;
  /** A continuation line of the current option's value: str[start, end). */
  continuation(str: string, start: number, end: number): void;
}

/**
 * Where the header of the stripped line str[a, b) (`[` at a) ends, as `\[(.+)\]` matches it: the last `]` of the
 * line, with at least one character before it; else a position at most a + 1. Looked for within the line only.
 */
function headerEnd(str: string, a: number, b: number): number {
  let close = b - 1;
  while (close > a + 1 && str.charCodeAt(close) !== 93) close--;
  return close;
}

/** configparser's state between lines. */
class PythonReader {
  private inSection = false;
  private inOption = false;
  private indentLevel = 0;

  constructor(private readonly visit: SectionVisitor) {}

  /**
   * Reads one line as configparser does (str[s, e), which holds no line break): comment lines are skipped wherever
   * they stand, an indented line after an option continues its value, any other `[...]` line opens a section.
   * False when the visitor asked to stop.
   */
  line(str: string, s: number, e: number, line: number, lineStart: number, piece: number): boolean {
    let a = s;
    while (a < e && isPySpace(str.charCodeAt(a))) a++;
    if (a === e) return true;
    const first = str.charCodeAt(a);
    if (first === 35 || first === 59) return true; // # and ;
    let b = e;
    while (isPySpace(str.charCodeAt(b - 1))) b--;
    if (this.inOption && a - s > this.indentLevel) {
      this.visit.continuation(str, a, b);
      return true;
    }
    this.indentLevel = a - s;
    const close = first === 91 ? headerEnd(str, a, b) : -1;
    if (close > a + 1) {
      this.inSection = true;
      this.inOption = false;
      return this.visit.header(str, a + 1, close, line, lineStart, piece);
    }
    // `(.*?)\s*[=:]\s*(.*)$`: the key runs up to the first `=` or `:`, and must not be empty.
    if (!this.inSection || first === 61 || first === 58) return true;
    let sep = a + 1;
    while (sep < b) {
      const c = str.charCodeAt(sep);
      if (c === 61 || c === 58) break;
      sep++;
    }
    if (sep === b) return true;
    let keyEnd = sep;
    while (isPySpace(str.charCodeAt(keyEnd - 1))) keyEnd--;
    let valueStart = sep + 1;
    while (valueStart < b && isPySpace(str.charCodeAt(valueStart))) valueStart++;
    this.inOption = true;
    this.visit.option(str, a, keyEnd, valueStart, b, line);
    return true;
  }
}

/**
 * Finds the next character a pattern matches before `to`, looking a stretch at a time, each twice as long as the one
 * before (up to 64 KiB): a walk that stops after a few lines (the values of one section) looks at little more than
 * those lines, and a walk of a whole file at few stretches.
 */
class Lookahead {
  private stretch = 256;

  constructor(
    private readonly text: string,
    private readonly pattern: RegExp,
    private readonly to: number,
  ) {}

  /** The position of the next match at or after `at`, or Infinity when there is none before `to`. */
  from(at: number): number {
    while (at < this.to) {
      const stop = Math.min(this.to, at + this.stretch);
      this.stretch = Math.min(this.stretch * 2, 1 << 16);
      const found = this.text.slice(at, stop).search(this.pattern);
      if (found !== -1) return at + found;
      at = stop;
    }
    return Infinity;
  }
}

const highByte = /[\x80-\xff]/;

/**
 * Walks the lines of text[from, to) (`from` and `to` at line starts; `firstLine` is the index of the line at
 * `from`) as configparser does: each line decoded from UTF-8 and split on every line break Python's universal
 * newlines know, a lone CR included (sso-sync's own lines break only at LF). The pieces of the first line before
 * `firstPiece` are left out.
 */
export function walkSections(
  text: string,
  from: number,
  to: number,
  firstLine: number,
  visit: SectionVisitor,
  firstPiece = 0,
): void {
  const reader = new PythonReader(visit);
  // Where the next byte above 0x7f and the next CR are: most lines have neither and are read in place.
  const high = new Lookahead(text, highByte, to);
  const lone = new Lookahead(text, /\r/, to);
  let hi = high.from(from);
  let cr = lone.from(from);
  let line = firstLine;
  for (let s = from; s < to; line++) {
    const nl = text.indexOf('\n', s);
    const e = nl === -1 || nl > to ? to : nl;
    const next = e === to ? to : e + 1;
    // The CR of a CRLF ending is not a line break of its own.
    const end = e > s && cr === e - 1 ? e - 1 : e;
    if (hi >= end && cr >= end) {
      if (!reader.line(text, s, end, line, s, 0)) return;
    } else if (!readPieces(reader, text, s, end, line, line === firstLine ? firstPiece : 0)) return;
    if (hi < next) hi = high.from(next);
    if (cr < next) cr = lone.from(next);
    s = next;
  }
}

/** A line with bytes above 0x7f or a lone CR: decoded, then read piece by piece. */
function readPieces(reader: PythonReader, text: string, s: number, e: number, line: number, skip: number): boolean {
  const raw = text.slice(s, e);
  const decoded = highByte.test(raw) ? Buffer.from(raw, 'latin1').toString('utf8') : raw;
  const pieces = decoded.includes('\r') ? decoded.split('\r') : [decoded];
  for (let k = skip; k < pieces.length; k++) {
    const piece = pieces[k]!;
    if (!reader.line(piece, 0, piece.length, line, s, k)) return false;
  }
  return true;
}

/** Told of each section header found (see SectionVisitor.header). */
type HeaderFound = SectionVisitor['header'];

/**
 * The headers of text[from, to), found by looking only at the start of each line, where that is enough: when no line
 * holds a lone CR, and no line starts with a byte above 0x7f or with blanks before a `[` or such a byte, no `[...]`
 * line can be the continuation of a value (only an indented line can), so every line that starts with one is a
 * header. False when the text is not that simple (walkSections must read it line by line), having perhaps told
 * `found` of some headers already.
 */
function plainHeaders(text: string, from: number, to: number, firstLine: number, found: HeaderFound): boolean {
  const high = new Lookahead(text, highByte, to);
  const lone = new Lookahead(text, /\r/, to);
  let hi = high.from(from);
  let cr = lone.from(from);
  let line = firstLine;
  for (let s = from; s < to; line++) {
    const nl = text.indexOf('\n', s);
    const e = nl === -1 || nl > to ? to : nl;
    if (cr < e) {
      if (cr !== e - 1) return false; // a lone CR
      cr = lone.from(e);
    }
    let c = text.charCodeAt(s);
    if (c === 91) {
      if (hi < e) decodedHeader(text, s, e, line, found);
      else {
        const close = asciiHeaderEnd(text, s, e);
        if (close > s + 1) found(text, s + 1, close, line, s, 0);
      }
    } else if (c > 127) return false;
    else if (isPySpace(c)) {
      let p = s + 1;
      while (p < e && isPySpace((c = text.charCodeAt(p)))) p++;
      if (p < e && (c === 91 || c > 127)) return false;
    }
    if (hi < e) hi = high.from(e);
    s = e === to ? to : e + 1;
  }
  return true;
}

/** Where the header of an ASCII line that starts with `[` ends (see headerEnd), the trailing blanks left out. */
function asciiHeaderEnd(text: string, s: number, e: number): number {
  let b = e;
  while (isPySpace(text.charCodeAt(b - 1))) b--;
  return headerEnd(text, s, b);
}

/** The header of a line that starts with `[` and holds bytes above 0x7f, decoded as Python decodes it, if any. */
function decodedHeader(text: string, s: number, e: number, line: number, found: HeaderFound): void {
  const reader = new PythonReader({
    header: (...header) => {
      found(...header);
      return false;
    },
    option: () => undefined,
    continuation: () => undefined,
  });
  readPieces(reader, text, s, e, line, 0);
}

/** The kinds of header that name a profile or a session after a space. */
const namedKinds = ['profile', 'sso-session'] as const;

/** A section found by a walk; its values (and its header's text) are read from the text when first asked for. */
class Section implements SectionRef {
  readonly kind: SectionRef['kind'];
  readonly name: string;
  #values: Map<string, string> | undefined;
  /** Where the reading of its values may stop: the end of the walk, until the next section is found. */
  private end: number;

  /** The header is str[start, end): in the text, or in its line decoded (see SectionVisitor). */
  constructor(
    str: string,
    start: number,
    end: number,
    readonly line: number,
    private readonly text: string,
    private readonly lineStart: number,
    private readonly piece: number,
    to: number,
  ) {
    this.end = to;
    // `profile NAME` or `sso-session NAME` with one space and a plain name, as nearly every header is: the name is
    // cut from the text, and the header itself is not made unless asked for.
    for (let k = 0; k < namedKinds.length; k++) {
      const kind = namedKinds[k]!;
      if (!str.startsWith(kind, start) || str.charCodeAt(start + kind.length) !== 32) continue;
      const name = str.slice(start + kind.length + 1, end);
      if (!plainName.test(name)) break;
      this.kind = kind;
      this.name = name;
      return;
    }
    ({ kind: this.kind, name: this.name } = classifyHeader(str.slice(start, end)));
  }

  get header(): string {
    let header = '';
    walkSections(
      this.text,
      this.lineStart,
      this.end,
      this.line,
      {
        header: (str, start, end) => ((header = str.slice(start, end)), false),
        option: () => undefined,
        continuation: () => undefined,
      },
      this.piece,
    );
    return header;
  }

  get values(): Map<string, string> {
    this.#values ??= valuesFrom(this.text, this.lineStart, this.piece, this.end, this.line);
    return this.#values;
  }

  /**
   * The next section starts at (lineStart, piece): this one's values end where that line starts, or at the end of
   * that line when the next header is not the line's first piece (the pieces before it may still be this section's).
   */
  endBefore(lineStart: number, piece: number): void {
    this.end = piece === 0 ? lineStart : this.text.indexOf('\n', lineStart) + 1 || this.end;
  }
}

/** The values of the section whose header is at (lineStart, piece): read up to the next header. */
function valuesFrom(text: string, lineStart: number, piece: number, to: number, line: number): Map<string, string> {
  const values = new Map<string, string>();
  let headers = 0;
  let option: string | undefined;
  walkSections(
    text,
    lineStart,
    to,
    line,
    {
      header: () => ++headers === 1,
      option: (str, ks, ke, vs, ve) => {
        option = str.slice(ks, ke).toLowerCase();
        values.set(option, str.slice(vs, ve));
      },
      continuation: (str, s, e) => {
        // configparser appends each continuation line to the value of the last option
        if (option !== undefined) values.set(option, `${values.get(option) ?? ''}\n${str.slice(s, e)}`);
      },
    },
    piece,
  );
  return values;
}

/**
 * The sections of text[from, to) (`from` and `to` at line starts; `firstLine` the index of the line at `from`),
 * appended to `into`. Names and values are decoded from UTF-8, as Python decodes them.
 */
export function sectionsIn(text: string, from: number, to: number, firstLine: number, into: SectionRef[]): void {
  const first = into.length;
  let last: Section | undefined;
  const found: HeaderFound = (str, start, end, line, lineStart, piece) => {
    last?.endBefore(lineStart, piece);
    last = new Section(str, start, end, line, text, lineStart, piece, to);
    into.push(last);
    return true;
  };
  if (plainHeaders(text, from, to, firstLine, found)) return;
  into.length = first;
  last = undefined;
  walkSections(text, from, to, firstLine, { header: found, option: () => undefined, continuation: () => undefined });
}
