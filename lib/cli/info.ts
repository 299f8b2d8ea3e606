/** `dtri presets`, `dtri data`, `dtri backends`: what this machine and this project offer. */
import { availableBackends, BACKEND_ORDER, loadBackend } from '../backend/index';
import { listDatasets } from '../data/datasets';
import { PRESET_LIST } from '../train/presets';
import { formatHelp, parseFlags, type FlagSpec } from './args';
import type { Command } from './commands';

const NONE: Record<string, FlagSpec> = {};

export const presetsCommand: Command = {
  summary: 'list the training presets (method, dataset, scale)',
  help: () => formatHelp('Usage: dtri presets', 'Every preset; pass its name to dtri train --preset.', NONE),
  async run(argv) {
    parseFlags('presets', argv, NONE);
    for (const p of PRESET_LIST) {
      console.log(`${p.name.padEnd(34)} ${p.method.padEnd(11)} ${p.dataset.padEnd(14)} ${p.scale.padEnd(6)} ${p.description}`);
    }
    return 0;
  },
};

const DATA_SPEC: Record<string, FlagSpec> = { data: { type: 'string', help: 'dataset folder to look in first' } };

export const dataCommand: Command = {
  summary: 'which datasets are on this machine, and where',
  help: () => formatHelp('Usage: dtri data [--data DIR]', 'Lists every dataset name with where it loads from or how to get it.', DATA_SPEC),
  async run(argv) {
    const { flags } = parseFlags('data', argv, DATA_SPEC);
    for (const d of listDatasets(flags.data as string | undefined)) {
      console.log(`${d.available ? 'yes' : ' no'}  ${d.name.padEnd(18)} ${d.where}`);
    }
    return 0;
  },
};

export const backendsCommand: Command = {
  summary: 'which compute backends load here, and why the others do not',
  help: () => formatHelp('Usage: dtri backends', 'Tries every backend in the order the selection uses.', NONE),
  async run(argv) {
    parseFlags('backends', argv, NONE);
    const available = await availableBackends();
    for (const name of BACKEND_ORDER) {
      if (available.includes(name)) console.log(`yes  ${name}`);
      else {
        const r = await loadBackend(name);
        console.log(` no  ${name.padEnd(9)} ${'reason' in r ? r.reason : ''}`);
      }
    }
    console.log(`auto picks: ${available[0] ?? 'none'}`);
    return 0;
  },
};
