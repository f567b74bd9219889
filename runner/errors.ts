// Errors the runner turns into exit code 2: something the person running it must change (a flag, an
// environment variable, the config file, a missing kubeconfig). The message is one line that names the
// problem and the fix; nothing has been started when it is thrown.

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A target cannot be used as configured (missing credentials, kubeconfig, not available yet...). */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

export function isUserFacingError(error: unknown): error is UsageError | ConfigurationError {
  return error instanceof UsageError || error instanceof ConfigurationError;
}

/** The target could not be started (not a usage problem): exit code 1, the cause on one line. */
export class TargetStartError extends Error {
  override readonly name = 'TargetStartError';
}
