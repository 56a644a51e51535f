/**
 * The AWS regions sso-sync knows, to warn about a region name that looks right but is not one (`eu-west-9`): such a
 * region in a profile makes every call of the tools that use the profile fail. New regions open now and then, so an
 * unknown one is a warning and is used as given, never refused.
 */
const knownRegions = new Set([
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'cn-north-1',
  'cn-northwest-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eusc-de-east-1',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-gov-east-1',
  'us-gov-west-1',
  'us-west-1',
  'us-west-2',
]);

/** Why `region` may be a typo, or undefined when it is a region sso-sync knows. */
export function unknownRegion(region: string, key: string): string | undefined {
  if (knownRegions.has(region)) return undefined;
  return (
    `${key}: ${region} is not a region sso-sync knows; it is used as given, but check the spelling ` +
    '(a profile with a region that does not exist fails in every tool that uses it)'
  );
}

/** The region names sso-sync knows, sorted: what `sso-sync init` checks a region against. */
export const regionNames: readonly string[] = [...knownRegions].sort();
