/**
 * Why `npm run train` stops before training: a bad flag (UsageError: the script prints it with the
 * usage line and exits 2) or a run that cannot be resumed (ResumeError: printed without the usage
 * line, exit 2). Neither leaves anything written.
 */

/** A bad flag: the script prints it with the usage line and exits 2. */
export class UsageError extends Error {
  readonly showUsage: boolean = true;
}

/**
 * A run that cannot be resumed as asked (no checkpoint, none that fits, a damaged config.json):
 * the script prints it, without the usage line, and exits 2; nothing of the run was changed.
 */
export class ResumeError extends UsageError {
  override readonly showUsage: boolean = false;
}
