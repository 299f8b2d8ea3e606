#!/usr/bin/env node
/**
 * The `dtri` command. Each subcommand lives in its own file under lib/cli/ and registers here.
 * User mistakes (UserError) print one line and exit 2; so do file-system errors that escaped a more specific
 * message (a full disk, a permission, a path through a file: lib/train/run-folder.ts fsUserError), naming
 * the file. Anything else is a bug and keeps its stack.
 */
import { isUserError, UserError } from '../errors';
import { fsUserError } from '../train/run-folder';
import { COMMANDS } from './commands';

const HELP = `dtri — divergence triangle and VAE + latent EBM experiments

Usage: dtri <command> [options]      (dtri <command> --help for its options)

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}
`;

/** The one line to print for `e`, or undefined for a bug (printed with its stack). */
export function userMessage(e: unknown): string | undefined {
  if (isUserError(e)) return e.message;
  const file = (e as { path?: unknown })?.path;
  if (typeof file === 'string') return fsUserError(e, file, 'access')?.message;
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new UserError(`dtri: unknown command "${name}"; valid commands: ${Object.keys(COMMANDS).join(', ')}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help());
    return 0;
  }
  return command.run(rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      const line = userMessage(e);
      if (line !== undefined) {
        process.stderr.write(`error: ${line}\n`);
        process.exit(2);
      }
      console.error(e);
      process.exit(1);
    },
  );
}
