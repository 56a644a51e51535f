/**
 * pino's logger for the daemon on a terminal (readable lines): an entry of the commands' build of its own, so that
 * the daemon's process, built apart (see build/bundle.ts), loads pino only when it logs to a person.
 */
export { createLogger } from '../log/logger.js';
