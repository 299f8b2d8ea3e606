/** A small, strict argument parser: unknown flags and malformed values are UserErrors naming the fix. */
import { UserError } from '../errors';

export interface FlagSpec {
  /** 'string' takes a value, 'int' a whole number, 'bool' none, 'list' may repeat. */
  type: 'string' | 'int' | 'bool' | 'list';
  help: string;
  choices?: readonly string[];
  default?: string | number | boolean;
}

export type Flags = Record<string, string | number | boolean | string[] | undefined>;

/**
 * @param opts.positional how many arguments without `--` the command takes (default 0: any is refused,
 *   so a stray word or a mistyped `-seed 7` is not silently ignored)
 */
export function parseFlags(command: string, argv: string[], spec: Record<string, FlagSpec>, opts: { positional?: number } = {}): { flags: Flags; positional: string[] } {
  const maxPositional = opts.positional ?? 0;
  const flags: Flags = {};
  const positional: string[] = [];
  for (const [k, s] of Object.entries(spec)) if (s.default !== undefined) flags[k] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      if (positional.length >= maxPositional) {
        const hint = arg.startsWith('-') ? `options start with two dashes (--${arg.replace(/^-+/, '')})` : maxPositional === 0 ? `dtri ${command} takes no arguments besides its --options` : `dtri ${command} takes ${maxPositional} argument${maxPositional > 1 ? 's' : ''}`;
        throw new UserError(`dtri ${command}: unexpected argument "${arg}": ${hint} (see dtri ${command} --help)`);
      }
      positional.push(arg);
      continue;
    }
    let [key, value] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const s = spec[key];
    if (!s) {
      const known = Object.keys(spec).map((k) => `--${k}`).join(', ');
      throw new UserError(`dtri ${command}: unknown option --${key}; valid options: ${known} (see dtri ${command} --help)`);
    }
    if (s.type === 'bool') {
      if (value !== undefined && !['true', 'false', '1', '0'].includes(value)) {
        throw new UserError(`dtri ${command}: --${key} takes no value, or =true / =false (got "--${key}=${value}")`);
      }
      flags[key] = value === undefined ? true : value === 'true' || value === '1';
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UserError(`dtri ${command}: --${key} needs a value (${s.help})`);
    }
    if (s.choices && !s.choices.includes(value)) {
      throw new UserError(`dtri ${command}: --${key} must be one of ${s.choices.join(', ')} (got "${value}")`);
    }
    if (s.type === 'int') {
      if (!/^-?\d+$/.test(value)) throw new UserError(`dtri ${command}: --${key} must be a whole number (got "${value}")`);
      flags[key] = Number(value);
    } else if (s.type === 'list') {
      const prev = flags[key];
      flags[key] = [...(Array.isArray(prev) ? prev : []), value];
    } else flags[key] = value;
  }
  return { flags, positional };
}

export function formatHelp(usage: string, description: string, spec: Record<string, FlagSpec>): string {
  const rows = Object.entries(spec).map(([k, s]) => {
    const name = s.type === 'bool' ? `--${k}` : `--${k} ${s.choices ? s.choices.join('|') : s.type === 'int' ? 'N' : 'VALUE'}`;
    const def = s.default !== undefined ? ` (default ${s.default})` : '';
    return `  ${name.padEnd(34)} ${s.help}${def}`;
  });
  return `${usage}\n\n${description}\n\nOptions:\n${rows.join('\n')}\n`;
}
