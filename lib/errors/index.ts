/**
 * A mistake the user can fix (bad flag, missing dataset, corrupt file). Its message is one line that
 * names the fix; the CLI prints it without a stack trace and exits with code 2. Library code throws it
 * for every user-facing error; anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string) {
    super(message);
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && e.name === 'UserError';
}
