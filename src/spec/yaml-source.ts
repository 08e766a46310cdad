import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';

export type FieldPath = readonly (string | number)[];

/** A parsed YAML file that can still say where each value came from. */
export interface YamlSource {
  data: unknown;
  /** "line L, col C" of the value at `path`, or of its deepest existing parent (for a missing field). */
  locate(path: FieldPath): string | undefined;
}

/** Why the text is no YAML the lab can read: the one line's problem and fix, with a line and column where there is one. */
export type YamlProblem = { problem: string; fix: string };

/** yaml's own bound on what aliases may expand to: far above any use, far below a "billion laughs". */
const MAX_ALIAS_COPIES = 100;
/** Above any path, name or line of text a field holds: a longer value (or key) would be echoed whole in the one line. */
const MAX_SCALAR_CHARS = 1024;

/** Parses one YAML document; throws nothing, returns the first problem instead. */
export function parseYamlSource(text: string): YamlSource | YamlProblem {
  const lines = new LineCounter();
  // uniqueKeys: a repeated key is an error, not a silent override of the first one. logLevel: what
  // yaml would warn about (a mapping as a key) is not printed beside the one line.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `line ${line}, col ${col}`;
  };
  const first = doc.errors[0];
  if (first) {
    // yaml's own wording for this one addresses programmers (parseAllDocuments); say it plainly.
    const problem = first.code === 'MULTIPLE_DOCS' ? 'more than one YAML document (a second "---")' : first.message;
    return { problem: `YAML syntax error at ${at(first.pos[0])}: ${problem.split('\n')[0]}`, fix: 'fix the YAML syntax there' };
  }
  const long = longScalar(doc);
  if (long) return { problem: `a value of ${long.chars} characters at ${at(long.offset)}, longer than any field takes (${MAX_SCALAR_CHARS})`, fix: 'shorten it' };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COPIES });
  } catch (err) {
    return aliasProblem(doc, err, at);
  }
  return {
    data,
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

/**
 * What toJS threw: an alias (`*name`) with no anchor (`&name`) before it, or aliases that expand
 * into more copies than any file needs, as a "billion laughs" does to exhaust memory.
 */
function aliasProblem(doc: Document, err: unknown, at: (offset: number) => string): YamlProblem {
  const anchors = new Set<string>();
  let alias: { source: string; offset: number; unresolved: boolean } | undefined;
  visit(doc, {
    Node(_key, node) {
      if (!isAlias(node)) {
        if (node.anchor) anchors.add(node.anchor);
        return;
      }
      const unresolved = !anchors.has(node.source);
      // The first alias, unless a later one is the problem.
      if (!alias || (unresolved && !alias.unresolved)) alias = { source: node.source, offset: node.range?.[0] ?? 0, unresolved };
    },
  });
  if (alias?.unresolved) return { problem: `alias *${alias.source} at ${at(alias.offset)} has no anchor &${alias.source} before it`, fix: `set &${alias.source} on the value it repeats, before the alias` };
  if (alias) {
    return { problem: `its aliases expand into more than ${MAX_ALIAS_COPIES} copies, as a "billion laughs" attack does (first alias *${alias.source} at ${at(alias.offset)})`, fix: 'write the values out, or alias each one once' };
  }
  return { problem: `the YAML cannot be read as data: ${err instanceof Error ? err.message : String(err)}`, fix: 'simplify the YAML' };
}

function longScalar(doc: Document): { chars: number; offset: number } | undefined {
  let found: { chars: number; offset: number } | undefined;
  visit(doc, {
    Scalar(_key, node) {
      const chars = String(node.value).length;
      if (chars <= MAX_SCALAR_CHARS) return undefined;
      found = { chars, offset: node.range?.[0] ?? 0 };
      return visit.BREAK;
    },
  });
  return found;
}

function isNode(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && 'range' in x;
}
