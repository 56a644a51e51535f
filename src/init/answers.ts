/** The checks on the region and session name `sso-sync init` is given: a problem in words, or the answer to use. */
import { nearest } from '../core/nearest.js';
import { regionNames } from '../settings/regions.js';
import { sessionNamePattern } from '../settings/schema.js';

/** A checked answer: the value to use, or why not (with the value probably meant, to offer next). */
export type Checked = { value: string } | { problem: string; meant?: string };

/** A region as typed: one sso-sync knows, or the problem with the nearest it knows. */
export function checkRegion(input: string): Checked {
  const region = input.trim().toLowerCase();
  if (region === '') return { problem: 'no region was given; the region looks like eu-west-1 or us-east-1' };
  if (regionNames.includes(region)) return { value: region };
  const meant = nearest(region, regionNames);
  return {
    problem:
      `${region} is not an AWS region` +
      (meant ? `; did you mean ${meant}?` : '; a region looks like eu-west-1, us-east-1 or ap-southeast-2'),
    ...(meant ? { meant } : {}),
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
