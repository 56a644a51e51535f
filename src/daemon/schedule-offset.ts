/**
 * This installation's place in the schedule: a number from 0 to 1, drawn once at random (so uniform across
 * installations) and kept in the state directory, so that it stays the same across restarts. A file that cannot
 * be read or is damaged is replaced by a new draw, with a warning.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { errorCode, errorMessage } from '../errors.js';
import { newFile } from '../fs/replace-file.js';
import { readRegularFile } from '../fs/read-regular-file.js';
import { replaceFile } from '../fs/replace-file.js';
import type { Logger } from '../log/logger.js';
import { scheduleOffsetFile } from '../paths.js';

/**
 * A uniform draw from [0, 1): Math.random, which V8 seeds from the system's random source in each process, so that
 * installations draw apart.
 */
export function drawFraction(): number {
  return Math.random();
}

/** The fraction a file holds, or undefined when it holds none. */
function fractionIn(text: string): number | undefined {
  try {
    const { fraction } = JSON.parse(text) as { fraction?: unknown };
    return typeof fraction === 'number' && fraction >= 0 && fraction < 1 ? fraction : undefined;
  } catch {
    return undefined;
  }
}

/** The text of the file. */
const fileText = (fraction: number) => `${JSON.stringify({ fraction })}\n`;

/**
 * This installation's fraction: the one kept in the state directory, or a new draw that is kept there. Created
 * exclusively, so two processes starting at once agree on one draw. A failure to keep it is logged; the draw is
 * used all the same.
 */
export async function scheduleOffset(stateDir: string, log: Logger, draw = drawFraction): Promise<number> {
  const file = scheduleOffsetFile(stateDir);
  const kept = await readRegularFile(file).then(
    (r) => ({ fraction: fractionIn(r.text), problem: 'it does not hold a fraction from 0 to 1' }),
    (error: unknown) => ({ fraction: undefined, problem: errorCode(error) ?? errorMessage(error) }),
  );
  if (kept.fraction !== undefined) return kept.fraction;
  const fraction = draw();
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    if (kept.problem === 'ENOENT') {
      await newFile(file, fileText(fraction), 0o600);
      return fraction;
    }
    log.warn(
      { event: 'schedule.offset_redrawn', file, problem: kept.problem },
      `${file} could not be used (${kept.problem}); this installation's place in the schedule is drawn anew`,
    );
    await replaceFile(file, fileText(fraction), 0o600);
  } catch (error) {
    // Another process created it between the read and now: its draw is the one kept.
    const other = errorCode(error) === 'EEXIST' ? await readRegularFile(file).catch(() => undefined) : undefined;
    const theirs = other && fractionIn(other.text);
    if (theirs !== undefined) return theirs;
    const why = errorCode(error) ?? errorMessage(error);
    log.warn(
      { event: 'schedule.offset_unkept', file, code: errorCode(error) },
      `could not keep this installation's place in the schedule in ${file} (${why}); ` +
        'it is drawn anew at the next start',
    );
  }
  return fraction;
}
