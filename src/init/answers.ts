/** The checks on the region and session name `sso-sync init` is given: a problem in words, or the answer to use. */
import { nearest } from '../core/nearest.js';
import { regionNames } from '../settings/regions.js';
import { sessionNamePattern } from '../settings/resolved.js';

/** A checked answer: the value to use, or why not (with the value probably meant, to offer next). */
export type Checked = { value: string } | { problem: string; meant?: string };

/** The shape of every AWS region name (`eu-west-1`, `us-gov-east-1`, `eusc-de-east-1`). */
const regionShape = /^[a-z]{2,}(-[a-z]+)+-\d+$/;

/**
 * A region as typed: one sso-sync knows, or the problem with the nearest it knows. A name of a region's shape that
 * is near none sso-sync knows may be a region opened since this sso-sync was made: it is taken when `confirmed` is
 * the same name (typed twice at the terminal, or given as an option).
 */
export function checkRegion(input: string, confirmed?: string): Checked {
  const region = input.trim().toLowerCase();
  if (region === '') return { problem: 'no region was given; the region looks like eu-west-1 or us-east-1' };
  if (regionNames.includes(region)) return { value: region };
  const meant = nearest(region, regionNames);
  if (meant) return { problem: `${region} is not an AWS region; did you mean ${meant}?`, meant };
  if (!regionShape.test(region))
    return { problem: `${region} is not an AWS region; a region looks like eu-west-1, us-east-1 or ap-southeast-2` };
  if (confirmed?.trim().toLowerCase() === region) return { value: region };
  return {
    problem:
      `${region} is not a region sso-sync knows; type it again to use it all the same ` +
      '(a region opened since this sso-sync was made)',
  };
}

/** An sso-session name as typed; `taken` says when a name is already used by another session. */
export function checkSessionName(input: string, taken: (name: string) => string | undefined): Checked {
  const name = input.trim();
  if (name === '') return { problem: 'no name was given' };
  if (!sessionNamePattern.test(name))
    return { problem: `"${name}" cannot be an sso-session name: use only letters, digits and . _ -` };
  const why = taken(name);
  return why === undefined ? { value: name } : { problem: why };
}

/** The first of `name`, `name-2`, `name-3`… that is free. */
export function freeName(name: string, used: (name: string) => boolean): string {
  if (!used(name)) return name;
  for (let i = 2; ; i++) if (!used(`${name}-${i}`)) return `${name}-${i}`;
}
