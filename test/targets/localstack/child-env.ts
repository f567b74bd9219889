// The environment for a spawned runner or janitor: the parent's, without anything that would steer the
// child (PIC_* options, LocalStack and AWS settings, vitest's own variables), plus what the test sets.

const STEERING =
  /^(PIC_|LOCALSTACK_|AWS_|VITEST|DOCKER_HOST$|GITHUB_STEP_SUMMARY$|TEST$|NODE_ENV$|KUBECONFIG$)/;

export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !STEERING.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}
