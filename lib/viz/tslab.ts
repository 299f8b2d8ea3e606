/**
 * Finds tslab's display functions when this process is a tslab Jupyter kernel. The library never loads
 * tslab itself (it pulls in a TypeScript compiler): it looks for the kernel's own tslab module in
 * require.cache and uses it only once the kernel has connected (lastWriteDisplayData set).
 */
import * as path from 'node:path';
import type * as Tslab from 'tslab';

interface JupyterModule {
  lastWriteDisplayData: unknown;
}

/** tslab's public module when running inside a tslab kernel, else null (plain Node, tests, the CLI). */
export function tslabDisplay(): typeof Tslab | null {
  for (const [file, mod] of Object.entries(require.cache)) {
    if (!mod || !file.endsWith(path.join('tslab', 'dist', 'jupyter.js'))) continue;
    if ((mod.exports as JupyterModule).lastWriteDisplayData == null) continue;
    // the kernel's own public.js, beside its jupyter.js, so display calls reach the live kernel
    return require(path.join(path.dirname(file), 'public.js')) as typeof Tslab;
  }
  return null;
}

export function inNotebook(): boolean {
  return tslabDisplay() !== null;
}
