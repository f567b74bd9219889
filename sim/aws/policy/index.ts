// The simulator's IAM policy evaluator: evaluation, validation, matching helpers and AWS managed policies.

export { evaluatePolicies } from './evaluate.ts';
export { AWS_MANAGED_POLICIES, type ManagedPolicy, managedPolicyByArn } from './managed.ts';
export type * from './types.ts';
export {
  encodePolicyForResponse,
  type ParseResult,
  type PolicyKind,
  parseAndValidatePolicy,
  parsePolicyJson,
  type ValidationResult,
  validatePolicyDocument,
} from './validate.ts';
export { matchesAction, matchesArnLike, matchesResource, matchesStringLike } from './wildcard.ts';
