/** What a script can trust `audx`'s exit code to mean (printed by `audx --help`). */
export const ExitCode = {
  ok: 0,
  /** anything not below: a bug, an unexpected answer */
  failure: 1,
  /** a command or option misused */
  usage: 2,
  /** not logged in, credentials refused, token or scope insufficient (401, 403) */
  auth: 3,
  /** the import, list, audience, export or file does not exist (404) */
  notFound: 4,
  /** the service refused the request as it stands (400, 409, 413, 415, 422) */
  refused: 5,
  /** a service could not be reached or failed (network, 5xx, 503) */
  unavailable: 6,
  /** the job ran and ended badly: an import failed or was rejected, a share was rejected or failed */
  jobFailed: 7,
  /** --wait ran out before the job ended */
  timedOut: 8,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `
Exit codes:
  0  done
  1  unexpected failure
  2  usage: a command or option misused
  3  authentication: not logged in, credentials refused, token or scope insufficient
  4  not found: the import, list, audience, export or file does not exist
  5  refused: the service refused the request as it stands (bad input, conflict)
  6  unavailable: a service could not be reached or failed
  7  job failed: an import failed or was rejected, a share was rejected or failed
  8  timed out waiting for a job (--timeout)`;

/** An error the CLI reports as one line, its hint (what to do) and its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: ExitCodeValue,
    readonly hint?: string,
  ) {
    super(message);
  }
}
