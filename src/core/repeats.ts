/**
 * What the AWS CLI's parser (Python's configparser, strict) refuses in a file sso-sync can still merge: a section
 * header given twice, and a key given twice in one section. Found during one walk of the file (see unreadableIn).
 */
import type { Damage } from './config-text.js';
import type { SectionVisitor } from './sections.js';

/** A hash of str[start, end) lowercased, or undefined when it holds a character above 0x7f (see SectionKeys). */
function asciiLowerHash(str: string, start: number, end: number): number | undefined {
  let hash = 0;
  for (let i = start; i < end; i++) {
    let c = str.charCodeAt(i);
    if (c > 127) return undefined;
    if (c >= 65 && c <= 90) c += 32;
    hash = (Math.imul(hash, 31) + c) | 0;
  }
  return hash;
}

/** The same hash of a string already lowercased. */
function stringHash(key: string): number {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (Math.imul(hash, 31) + key.charCodeAt(i)) | 0;
  return hash;
}

/** Up to this many keys, a section's keys are kept as places in the text; past it, as strings in a set. */
const fewKeys = 16;

/**
 * The keys of one section, lowercased as configparser compares them. The first few are kept as where they stand
 * (and a hash of them), not as strings: a walk of a large file meets a key on most lines, and only a key given
 * twice needs to become a string. A section with more keys than that keeps them as strings in a set, which no
 * choice of keys can slow down. A key with characters above 0x7f is lowercased as a string first (toLowerCase does
 * more than ASCII there).
 */
class SectionKeys {
  private readonly strs: string[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly hashes: number[] = [];
  private count = 0;
  private many: Set<string> | undefined;

  clear(): void {
    this.count = 0;
    this.many = undefined;
  }

  /** Adds str[start, end) as a key; the earlier key it repeats, lowercased, if any. */
  add(str: string, start: number, end: number): string | undefined {
    if (this.many) {
      const key = str.slice(start, end).toLowerCase();
      if (this.many.has(key)) return key;
      this.many.add(key);
      return undefined;
    }
    let hash = asciiLowerHash(str, start, end);
    if (hash === undefined) {
      str = str.slice(start, end).toLowerCase();
      [start, end, hash] = [0, str.length, stringHash(str)];
    }
    for (let i = 0; i < this.count; i++) {
      if (this.hashes[i] !== hash) continue;
      const earlier = this.key(i);
      if (earlier === str.slice(start, end).toLowerCase()) return earlier;
    }
    const i = this.count++;
    this.strs[i] = str;
    this.starts[i] = start;
    this.ends[i] = end;
    this.hashes[i] = hash;
    if (this.count > fewKeys) this.many = new Set(Array.from({ length: this.count }, (_, k) => this.key(k)));
    return undefined;
  }

  /** The i-th key, lowercased. */
  private key(i: number): string {
    return this.strs[i]!.slice(this.starts[i], this.ends[i]).toLowerCase();
  }
}

/**
 * The visitor of that walk. Only the headers and the current section's keys are kept, not the sections' values.
 * `[DEFAULT]` is the parser's own section and may come twice, but not a key in it.
 */
export class Repeats implements SectionVisitor {
  private readonly damage: Damage[] = [];
  private readonly firstHeader = new Map<string, number>();
  private readonly defaultKeys = new Map<string, number>();
  private readonly keys = new SectionKeys();
  private current: string | undefined;
  private headerLine = 0;
  /** Of the current section, reported after the section's header (and in this order), as the sections are read. */
  private readonly repeatedKeys: Damage[] = [];
  private readonly repeatedDefaults: Damage[] = [];
  /** How many END markers stand before the current line. */
  private endsBefore = 0;
  /** The lines of sso-sync's END markers, in order: looked for only once a key is given twice. */
  private ends: readonly number[] | undefined;

  /** `findEnds`: finds the lines of sso-sync's END markers, in order. */
  constructor(private readonly findEnds: () => readonly number[]) {}

  header(str: string, start: number, end: number, line: number): boolean {
    this.flush();
    const header = str.slice(start, end);
    const earlier = this.firstHeader.get(header);
    if (earlier !== undefined && header !== 'DEFAULT')
      this.damage.push({ line: line + 1, problem: `[${header}] again (first on line ${earlier + 1})` });
    else if (earlier === undefined) this.firstHeader.set(header, line);
    this.current = header;
    this.headerLine = line;
    this.keys.clear();
    return true;
  }

  option(str: string, keyStart: number, keyEnd: number, _vs: number, _ve: number, line: number): void {
    const repeated = this.keys.add(str, keyStart, keyEnd);
    if (repeated !== undefined) {
      const ends = (this.ends ??= this.findEnds());
      while (this.endsBefore < ends.length && ends[this.endsBefore]! < line) this.endsBefore++;
      // A key written after a block, before any header, is the block's last section's to the AWS CLI.
      const after =
        this.endsBefore > 0 && ends[this.endsBefore - 1]! > this.headerLine
          ? ", after the END marker of sso-sync's block, which the AWS CLI reads as part of that section"
          : '';
      this.repeatedKeys.push({ line: line + 1, problem: `${repeated} again in [${this.current}]${after}` });
      return;
    }
    if (this.current !== 'DEFAULT') return;
    const key = str.slice(keyStart, keyEnd).toLowerCase();
    const before = this.defaultKeys.get(key);
    if (before !== undefined)
      this.repeatedDefaults.push({
        line: this.headerLine + 1,
        problem: `${key} again in [DEFAULT] (first in the one on line ${before + 1})`,
      });
    else this.defaultKeys.set(key, this.headerLine);
  }

  continuation(): void {
    // A continuation line is part of a value: neither a key nor a header.
  }

  /** Everything found, by line. */
  found(): Damage[] {
    this.flush();
    return this.damage.sort((a, b) => a.line - b.line);
  }

  /** The current section's repeats, after what came before (a loop: a section can repeat a key a million times). */
  private flush(): void {
    if (this.repeatedKeys.length > 0) {
      for (const d of this.repeatedKeys) this.damage.push(d);
      this.repeatedKeys.length = 0;
    }
    if (this.repeatedDefaults.length > 0) {
      for (const d of this.repeatedDefaults) this.damage.push(d);
      this.repeatedDefaults.length = 0;
    }
  }
}
