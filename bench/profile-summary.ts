// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time by package or file, and the top functions.
//   node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg = '25'] = process.argv.slice(2);
if (!file) {
  console.error('usage: bench/profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);

function area(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native/builtin)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const i = url.indexOf('/work/main/');
  return i >= 0 ? url.slice(i + '/work/main/'.length) : url;
}

const areas = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, time] of self) {
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const a = area(url, functionName);
  areas.set(a, (areas.get(a) ?? 0) + time);
  const key = `${functionName || '(anonymous)'}  ${a}:${lineNumber + 1}`;
  functions.set(key, (functions.get(key) ?? 0) + time);
}
const pct = (t: number) => `${((t / total) * 100).toFixed(1).padStart(5)}%`;
console.log(`profile: ${(total / 1000).toFixed(0)} ms sampled\n\nself time by package/file:`);
for (const [a, t] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, Number(topArg)))
  console.log(`${pct(t)}  ${a}`);
console.log('\ntop functions by self time:');
for (const [f, t] of [...functions].sort((x, y) => y[1] - x[1]).slice(0, Number(topArg)))
  console.log(`${pct(t)}  ${f}`);
