// Bundles a module for the browser with esbuild, the way a web app's build would, refusing every Node
// built-in (`node:crypto`, `fs`, …) anywhere in its module graph: what a page cannot load.
import { builtinModules } from 'node:module';
import { build, type Plugin } from 'esbuild';

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** The bundle's text, or a thrown error naming each Node built-in and the file that imports it. */
export async function bundleForBrowser(
  entry: string,
  output: { format: 'esm' } | { format: 'iife'; globalName: string } = { format: 'esm' },
): Promise<string> {
  const refused: string[] = [];
  const noNodeBuiltins: Plugin = {
    name: 'no-node-builtins',
    setup(builder) {
      builder.onResolve({ filter: /.*/ }, (args) => {
        if (!BUILTINS.has(args.path) && !args.path.startsWith('node:')) return undefined;
        refused.push(`${args.path} (imported by ${args.importer})`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    ...output,
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
    plugins: [noNodeBuiltins],
  });
  if (refused.length > 0) throw new Error(`Node built-ins in a browser bundle: ${refused.join(', ')}`);
  const [bundle] = result.outputFiles;
  if (!bundle) throw new Error(`esbuild wrote nothing for ${entry}`);
  return bundle.text;
}
