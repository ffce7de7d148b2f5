// Loading a rules file: its text from disk, parsed as JSON or YAML into a plain value, with a way back
// from a place in that value (`rules[1].match.path`) to the line it was written on.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { type RuleProblem, RulesError } from './types.ts';

/** A place in a parsed document: keys of maps and indexes of lists. */
export type DocPath = Array<string | number>;

export interface RulesSource {
  /** The file name shown in messages. */
  name: string;
  text: string;
  /** `json` parses strictly as JSON first; otherwise YAML (which JSON also is). */
  format: 'json' | 'yaml';
}

/** Finds the node at a path of a parsed document, to name its line; falls back to the nearest parent. */
function locate(root: unknown, path: DocPath, key: boolean): Node | null {
  let node: unknown = root;
  let found: Node | null = isMap(root) || isSeq(root) ? (root as Node) : null;
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === part);
      if (!pair) return found;
      if (last && key && isScalar(pair.key)) return pair.key as Node;
      node = pair.value;
      if (node && (isScalar(node) || isMap(node) || isSeq(node))) found = node as Node;
      else if (isScalar(pair.key)) found = pair.key as Node;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part];
      if (!item) return found;
      node = item;
      if (isScalar(item) || isMap(item) || isSeq(item)) found = item as Node;
    } else return found;
  }
  return found;
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** A parsed file: its value, or the problems that kept it from parsing; and the line of any place in it. */
export interface ParsedFile {
  value: unknown;
  problems: RuleProblem[];
  lineOf: (path: DocPath, key?: boolean) => number | null;
}

/** Parses a file's text: `json` strictly as JSON first (for its syntax errors), then as YAML for positions. */
export function parseFile(source: RulesSource): ParsedFile {
  const problems: RuleProblem[] = [];
  if (source.format === 'json') {
    try {
      JSON.parse(source.text);
    } catch (error) {
      const message = (error as Error).message;
      const position = /position (\d+)/.exec(message);
      const line = position ? lineOfOffset(source.text, Number(position[1])) : null;
      problems.push({ file: source.name, line, path: '', message: `not valid JSON: ${message}` });
      return { value: undefined, problems, lineOf: () => null };
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  for (const error of doc.errors) {
    const line = error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line;
    problems.push({
      file: source.name,
      line,
      path: '',
      message: error.message.split('\n')[0] ?? error.message,
    });
  }
  if (problems.length > 0) return { value: undefined, problems, lineOf: () => null };
  return {
    value: doc.toJS(),
    problems,
    lineOf: (path, key = false) => {
      const node = locate(doc.contents, path, key);
      const start = node?.range?.[0];
      return start === undefined ? null : lineCounter.linePos(start).line;
    },
  };
}

/**
 * Parses and validates a rules file (and the preset files it is combined with) into matchers.

/** Reads a rules file from disk: `.json` as JSON, anything else as YAML. */
export function readRulesSource(file: string): RulesSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RulesError([
      { file, line: null, path: '', message: `cannot read the rules file: ${(error as Error).message}` },
    ]);
  }
  return { name: file, text, format: extname(file).toLowerCase() === '.json' ? 'json' : 'yaml' };
}
