/**
 * What the daemon makes of a change to the AWS config: a removed file, damaged markers, a block removed or edited
 * by hand are logged (the next sync repairs them); a new sso-session is synced at once. sso-sync's own writes are
 * recognised by their content and say nothing.
 */
import { sha256Hex } from '../core/sha256.js';
import { scanConfig } from '../core/config-text.js';
import { SsoSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';

/** What the config watcher needs. */
export interface ConfigWatchDeps {
  log: Logger;
  configFile: string;
  /**
   * The config's text as a sync reads it (so that a file caught half-rewritten by another program is not taken
   * for a removed block); undefined when there is no file; throws when it cannot be read.
   */
  readConfig(): Promise<string | undefined>;
  /** The names of the sessions synced now. */
  names(): string[];
  /** Looks again for the sessions to sync: a new `[sso-session]` section is synced at once. */
  findNewSessions(): Promise<void>;
}

/** Watches the AWS config's content: knows what the last sync left in it, and reports what others changed. */
export class ConfigWatch {
  /** sha256 of the config as the last sync left it, or as last looked at after a change. */
  private seen: string | undefined;
  /** Why the config could not be read when it last changed, once reported. */
  private problem: string | undefined;

  constructor(private readonly deps: ConfigWatchDeps) {}

  /** The config as a sync left it (written or read), by its sha256: a change after this is someone else's. */
  synced(configSha256: string): void {
    this.seen = configSha256;
  }

  /** The config file changed: reports what someone else did to it. */
  async changed(): Promise<void> {
    const read = await this.read();
    if (!read) return;
    const hash = read.text === undefined ? undefined : sha256Hex(read.text);
    if (hash === this.seen) return; // sso-sync's own write, or no change
    this.seen = hash;
    if (read.text === undefined) {
      const file = this.deps.configFile;
      this.deps.log.warn({ event: 'config.removed', file }, `${file} was removed; the next sync writes it again`);
      return;
    }
    if (!this.reportBlocks(read.text)) return;
    await this.deps.findNewSessions();
  }

  /**
   * The config's text, or undefined when it cannot be read: that is reported once, until it can be read again or
   * the problem changes.
   */
  private async read(): Promise<{ text: string | undefined } | undefined> {
    try {
      const text = await this.deps.readConfig();
      this.problem = undefined;
      return { text };
    } catch (error) {
      const message = error instanceof SsoSyncError ? error.message : String(error);
      if (message !== this.problem)
        this.deps.log.warn(
          { event: 'config.unreadable_now', file: this.deps.configFile },
          `${message} (noticed when the file changed)`,
        );
      this.problem = message;
      return undefined;
    }
  }

  /** Reports damaged markers, and blocks removed or edited by hand; false when the markers are damaged. */
  private reportBlocks(text: string): boolean {
    const { log, configFile: file } = this.deps;
    const scan = scanConfig(text);
    if (scan.damage.length > 0) {
      const lines = scan.damage.map((d) => d.line);
      log.warn(
        { event: 'config.damaged', file, lines },
        `the sso-sync markers in ${file} were damaged (line ${lines.join(', ')}); ` +
          'syncs refuse the file until they are repaired by hand',
      );
      return false;
    }
    const present = new Set(scan.blocks.map((b) => b.session));
    const missing = this.deps.names().filter((s) => !present.has(s));
    if (missing.length > 0)
      log.warn(
        { event: 'block.removed', sessions: missing, file },
        `the sso-sync block of ${missing.join(', ')} is gone from ${file}; the next sync writes it again`,
      );
    const edited = scan.blocks.filter((b) => b.declaredChecksum !== b.actualChecksum).map((b) => b.session);
    if (edited.length > 0)
      log.warn(
        { event: 'block.edited_by_hand', sessions: edited, file },
        `the sso-sync block of ${edited.join(', ')} was edited by hand; the next sync replaces it (with a backup)`,
      );
    return true;
  }
}
