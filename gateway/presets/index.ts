// Rules files shipped with the gateway, named on the command line with --preset.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RulesError, type RulesSource } from '../rules/index.ts';

const files: Record<string, string> = {
  'near-rpc': 'near-rpc.yaml',
};

export const presetNames = Object.keys(files);

/** The preset's rules file, to parse like any other. */
export function presetSource(name: string): RulesSource {
  const file = files[name];
  if (file === undefined) {
    throw new RulesError([
      {
        file: `preset ${name}`,
        line: null,
        path: '',
        message: `no such preset (there are: ${presetNames.join(', ')})`,
      },
    ]);
  }
  const path = fileURLToPath(new URL(file, import.meta.url));
  return { name: path, text: readFileSync(path, 'utf8'), format: 'yaml' };
}
