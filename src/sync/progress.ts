/**
 * What a sync tells of its progress while it fetches, for a live line on a terminal. Only the command line listens;
 * the daemon and the log never hear of it.
 */

/** One step of a sync's fetching. */
export type ProgressEvent =
  /** A session's fetching begins: the `index`-th (from 1) of `of`. */
  | { kind: 'session'; session: string; index: number; of: number }
  /** The session's listing (re)starts from nothing: after a refused token is refreshed, it starts over. */
  | { kind: 'listing' }
  /** A page of `count` accounts came. */
  | { kind: 'accounts'; count: number }
  /** An account's roles are to be listed. */
  | { kind: 'roles-queued' }
  /** An account's roles were listed. */
  | { kind: 'roles-listed' }
  /** A request was answered "too many requests": it is held back and sent again. */
  | { kind: 'throttled' }
  /** A request failed for a passing reason (a server error, a timeout) and is sent again. */
  | { kind: 'retried' }
  /** Fetching is over (whatever its outcome): what follows is the sync's own output. */
  | { kind: 'fetched' };

/** Hears a sync's progress. */
export type OnProgress = (event: ProgressEvent) => void;
