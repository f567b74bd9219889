// ARN formats of EKS resources and the parsing of IAM role ARNs.

export function clusterArn(region: string, accountId: string, clusterName: string): string {
  return `arn:aws:eks:${region}:${accountId}:cluster/${clusterName}`;
}

export function associationArn(region: string, accountId: string, clusterName: string, id: string): string {
  return `arn:aws:eks:${region}:${accountId}:podidentityassociation/${clusterName}/${id}`;
}

export function addonArn(
  region: string,
  accountId: string,
  clusterName: string,
  addonName: string,
  uuid: string,
): string {
  return `arn:aws:eks:${region}:${accountId}:addon/${clusterName}/${addonName}/${uuid}`;
}

export interface RoleArnParts {
  partition: string;
  accountId: string;
  /** The path with leading and trailing slash, "/" when none. */
  path: string;
  roleName: string;
}

const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role(\/(?:[\x21-\x7e]*\/)?)([\w+=,.@-]{1,64})$/;

/** Parses arn:aws:iam::ACCOUNT:role/[PATH/]NAME; undefined when it is not a role ARN. */
export function parseRoleArn(arn: string): RoleArnParts | undefined {
  const match = ROLE_ARN.exec(arn);
  if (!match) return undefined;
  return { partition: match[1]!, accountId: match[2]!, path: match[3]!, roleName: match[4]! };
}

/** The account of any ARN (arn:partition:service:region:account:...), or undefined. */
export function accountOfArn(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && /^\d{12}$/.test(parts[4]!) ? parts[4] : undefined;
}
