/** An export refused for a reason the user can fix; the message says what is wrong and what to do. */
export class ExportError extends Error {
  constructor(
    message: string,
    /** Process exit code: 2 for bad arguments, 1 for everything else. */
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}
