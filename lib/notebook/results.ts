/** README's Results table, generated from notebooks/results/*.json (never typed by hand). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NotebookResults } from './session';

const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

function fmt(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

export function readResults(dir: string): NotebookResults[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as NotebookResults);
}

/** One markdown row per reported number: ours next to the paper's, with preset, backend and date. */
export function renderResultsMarkdown(results: NotebookResults[]): string {
  const lines = [
    '| notebook | experiment | setting | metric | paper | ours | preset · backend · date | note |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    for (const row of r.rows) {
      const cells = [r.notebook, r.experiment, row.setting, row.metric, fmt(row.paper), fmt(row.ours),
        `${r.preset} · ${r.backend} · ${r.date}`, row.note ?? ''];
      lines.push(`| ${cells.map((c) => c.replace(/\|/g, '/')).join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/** Rewrites the block between the results markers of README.md; returns whether it changed. */
export function updateReadmeResults(readme: string, dir: string): boolean {
  const text = fs.readFileSync(readme, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${readme} has no ${START} … ${END} block`);
  const next = text.slice(0, a + START.length) + '\n' + renderResultsMarkdown(readResults(dir)) + '\n' + text.slice(b);
  if (next === text) return false;
  fs.writeFileSync(readme, next);
  return true;
}
