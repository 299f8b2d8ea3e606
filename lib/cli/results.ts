/** `dtri results`: regenerates README's Results table from notebooks/results/*.json. */
import * as path from 'node:path';
import { projectRoot, resultsDir } from '../notebook/session';
import { readResults, renderResultsMarkdown, updateReadmeResults } from '../notebook/results';
import { formatHelp, parseFlags, type FlagSpec } from './args';
import type { Command } from './commands';

const SPEC: Record<string, FlagSpec> = { print: { type: 'bool', help: 'print the table instead of writing README.md' } };

export const resultsCommand: Command = {
  summary: "regenerate README's Results table from notebooks/results/*.json",
  help: () => formatHelp('Usage: dtri results [--print]', 'Rows: ours next to the paper, with preset, backend and date.', SPEC),
  async run(argv) {
    const { flags } = parseFlags('results', argv, SPEC);
    const dir = resultsDir();
    if (flags.print) {
      console.log(renderResultsMarkdown(readResults(dir)));
      return 0;
    }
    const readme = path.join(projectRoot(), 'README.md');
    const changed = updateReadmeResults(readme, dir);
    console.log(`${readResults(dir).length} result files → ${readme} ${changed ? 'updated' : 'unchanged'}`);
    return 0;
  },
};
