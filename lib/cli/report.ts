/** `dtri report RUN_DIR`: (re)builds the single-page report.html of a run folder. */
import { UserError } from '../errors';
import { buildReport } from '../viz/report';
import { closeFigureBrowser } from '../viz/export';
import { formatHelp, parseFlags, type FlagSpec } from './args';
import type { Command } from './commands';

const SPEC: Record<string, FlagSpec> = { title: { type: 'string', help: 'page title (default: the folder name)' } };

export const reportCommand: Command = {
  summary: 'build RUN_DIR/report.html from a run folder',
  help: () => formatHelp('Usage: dtri report RUN_DIR [--title TEXT]', 'One self-contained page: summary, loss curves, every PNG/SVG of the run.', SPEC),
  async run(argv) {
    const { flags, positional } = parseFlags('report', argv, SPEC, { positional: 1 });
    if (positional.length !== 1) throw new UserError('dtri report: pass exactly one run folder, e.g. dtri report runs/2026-11-21T10-00-00');
    try {
      const file = await buildReport(positional[0], { title: flags.title as string | undefined });
      console.log(file);
    } finally {
      await closeFigureBrowser();
    }
    return 0;
  },
};
