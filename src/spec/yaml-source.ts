import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

export type FieldPath = readonly (string | number)[];

/** A parsed YAML file that can still say where each value came from. */
export interface YamlSource {
  data: unknown;
  /** "line L, col C" of the value at `path`, or of its deepest existing parent (for a missing field). */
  locate(path: FieldPath): string | undefined;
}

export type YamlSyntaxError = { line: number; col: number; problem: string };

/** Parses one YAML document; throws nothing, returns the first syntax error instead. */
export function parseYamlSource(text: string): YamlSource | YamlSyntaxError {
  const lines = new LineCounter();
  // uniqueKeys: a repeated key is an error, not a silent override of the first one.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const { line, col } = lines.linePos(first.pos[0]);
    // yaml's own wording for this one addresses programmers (parseAllDocuments); say it plainly.
    const problem = first.code === 'MULTIPLE_DOCS' ? 'more than one YAML document (a second "---")' : first.message;
    return { line, col, problem: problem.split('\n')[0]! };
  }
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `line ${line}, col ${col}`;
  };
  return {
    data: doc.toJS({ maxAliasCount: 100 }),
    locate(path) {
      let node: unknown = doc.contents;
      let where = isNode(node) ? node.range?.[0] : undefined;
      for (const key of path) {
        if (isMap(node)) {
          const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
          if (!pair) break;
          node = pair.value;
          // `key:` with no value has no (or an empty null) value node: point at the key.
          const from = isNode(node) && !(isScalar(node) && node.value === null) ? node : pair.key;
          where = (isNode(from) ? from.range?.[0] : undefined) ?? where;
        } else if (isSeq(node) && typeof key === 'number' && node.items[key] !== undefined) {
          node = node.items[key];
          where = isNode(node) ? (node.range?.[0] ?? where) : where;
        } else {
          break;
        }
      }
      return where === undefined ? undefined : at(where);
    },
  };
}

function isNode(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && 'range' in x;
}
