/**
 * What the daemon makes of a change to the AWS config: a removed file, damaged markers, a block removed or edited
 * by hand are logged (the next sync repairs them); a new sso-session is synced at once. sso-sync's own writes are
 * recognised by their content and say nothing.
 */
import { SsoSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { ConfigFacts } from './config-facts.js';

/** What the config watcher needs. */
export interface ConfigWatchDeps {
  log: Logger;
  configFile: string;
  /**
   * What the config holds, read as a sync reads it (so that a file caught half-rewritten by another program is not
   * taken for a removed block); throws when it cannot be read.
   */
  inspectConfig(): Promise<ConfigFacts>;
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
    const facts = await this.read();
    if (!facts) return;
    const hash = facts.present ? facts.sha256 : undefined;
    if (hash === this.seen) return; // sso-sync's own write, or no change
    this.seen = hash;
    if (!facts.present) {
      const file = this.deps.configFile;
      this.deps.log.warn({ event: 'config.removed', file }, `${file} was removed; the next sync writes it again`);
      return;
    }
    if (!this.reportBlocks(facts)) return;
    await this.deps.findNewSessions();
  }

  /**
   * What the config holds, or undefined when it cannot be read: that is reported once, until it can be read again or
   * the problem changes.
   */
  private async read(): Promise<ConfigFacts | undefined> {
    try {
      const facts = await this.deps.inspectConfig();
      this.problem = undefined;
      return facts;
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
  private reportBlocks(facts: Extract<ConfigFacts, { present: true }>): boolean {
    const { log, configFile: file } = this.deps;
    if (facts.damagedLines.length > 0) {
      const lines = facts.damagedLines;
      log.warn(
        { event: 'config.damaged', file, lines },
        `the sso-sync markers in ${file} were damaged (line ${lines.join(', ')}); ` +
          'syncs refuse the file until they are repaired by hand',
      );
      return false;
    }
    const present = new Set(facts.blocks.map((b) => b.session));
    const missing = this.deps.names().filter((s) => !present.has(s));
    if (missing.length > 0)
      log.warn(
        { event: 'block.removed', sessions: missing, file },
        `the sso-sync block of ${missing.join(', ')} is gone from ${file}; the next sync writes it again`,
      );
    const edited = facts.blocks.filter((b) => b.edited).map((b) => b.session);
    if (edited.length > 0)
      log.warn(
        { event: 'block.edited_by_hand', sessions: edited, file },
        `the sso-sync block of ${edited.join(', ')} was edited by hand; the next sync replaces it (with a backup)`,
      );
    return true;
  }
}
