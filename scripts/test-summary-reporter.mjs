// A node:test reporter for scripts/run-tests.mjs: writes one JSON line at the end with each file's wall
// time (from its process starting to its last event) and every skipped test with its reason, so the
// runner can print the slowest files and, under CI=true, refuse a skip. The spec reporter prints the rest.
import { resolve } from 'node:path';

// The entry of a whole file is named by its path: absolute on Node 20, as given on the command line on 22+.
const isFileEntry = (event, path) => event.data.name === path || resolve(event.data.name ?? '') === path;

export default async function* summary(source) {
  const files = new Map();
  const skipped = [];
  const fileOf = (path) => {
    let file = files.get(path);
    if (file === undefined) {
      file = { start: performance.now(), end: performance.now(), tests: 0 };
      files.set(path, file);
    }
    return file;
  };
  for await (const event of source) {
    const path = event.data?.file;
    if (typeof path !== 'string') continue;
    const file = fileOf(path);
    // The file-level entry (named by its path) is dequeued when its process starts.
    if (event.type === 'test:dequeue' && isFileEntry(event, path)) file.start = performance.now();
    file.end = performance.now();
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (isFileEntry(event, path)) continue;
    file.tests += 1;
    if (event.data.skip !== undefined && event.data.skip !== false) {
      skipped.push({
        file: path,
        name: event.data.name,
        reason: typeof event.data.skip === 'string' ? event.data.skip : '',
      });
    }
  }
  const durations = [...files].map(([path, { start, end, tests }]) => ({
    file: path,
    seconds: Math.round((end - start) / 100) / 10,
    tests,
  }));
  yield `${JSON.stringify({ files: durations, skipped })}\n`;
}
