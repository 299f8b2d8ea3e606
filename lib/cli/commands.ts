/** The registry of `dtri` subcommands. */
export interface Command {
  summary: string;
  help(): string;
  /** Returns the exit code; throws UserError for user mistakes. */
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {};

export function register(name: string, command: Command): void {
  COMMANDS[name] = command;
}
