// The one error type every layer throws for things the operator can fix. Anything else is our bug.

/** Bad input, unreachable database, refused operation: one line saying what, where, and what to try. */
export class DoctorError extends Error {
  override readonly name = 'DoctorError';
  constructor(
    message: string,
    readonly options: { where?: string; hint?: string; exitCode?: number } = {},
  ) {
    super(message);
  }

  /** The single line shown to the operator. */
  oneLine(): string {
    const where = this.options.where ? `${this.options.where}: ` : '';
    const hint = this.options.hint ? ` (${this.options.hint})` : '';
    return `${where}${this.message}${hint}`.replace(/\s*\n\s*/g, ' ');
  }
}

export function isDoctorError(err: unknown): err is DoctorError {
  return err instanceof DoctorError;
}
