/** The registry of `dtri` subcommands. Command modules import only the `Command` type from here. */
import { backendsCommand, dataCommand, presetsCommand } from './info';
import { experimentCommand } from './experiment';
import { landscapeCommand } from './landscape';
import { reportCommand } from './report';
import { resultsCommand } from './results';
import { startCommand } from './start';
import { trainCommand } from './train';

export interface Command {
  summary: string;
  help(): string;
  /** Returns the exit code; throws UserError for user mistakes. */
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  start: startCommand,
  train: trainCommand,
  presets: presetsCommand,
  data: dataCommand,
  backends: backendsCommand,
  report: reportCommand,
  landscape: landscapeCommand,
  experiment: experimentCommand,
  results: resultsCommand,
};
