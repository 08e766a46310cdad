/**
 * Parser for the subset of Go's text/template that Matchbox data-dir templates use: actions,
 * comments, trim markers, if/else if/else, range (with $i, $v :=), with, variables, pipelines,
 * parenthesised pipelines, field chains and literals. define/template/block are refused.
 */
import { GoInt } from '../gofmt.js';

export class TemplateError extends Error {}

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipe }
  | { kind: 'if' | 'with'; pipe: Pipe; body: Node[]; orElse?: Node[] }
  | { kind: 'range'; pipe: Pipe; body: Node[]; orElse?: Node[] };

export interface Pipe {
  /** Variables declared (`:=`) or assigned (`=`) by this pipeline. */
  decl: string[];
  assign: boolean;
  cmds: Operand[][];
}

export type Operand =
  | { kind: 'field'; chain: string[] } // .a.b ('.' alone is an empty chain)
  | { kind: 'var'; name: string; chain: string[] }
  | { kind: 'func'; name: string }
  | { kind: 'const'; value: unknown }
  | { kind: 'pipe'; pipe: Pipe; chain: string[] };

const SPACE = /[ \t\r\n]/;
const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

type Tok =
  | { t: 'field'; v: string[] }
  | { t: 'var'; v: string; chain: string[] }
  | { t: 'ident'; v: string }
  | { t: 'const'; v: unknown }
  | { t: 'op'; v: '|' | '(' | ')' | ':=' | '=' | ',' };

/** Go's string, raw-string and char literal decoding (JSON covers Go's common escapes). */
function unquote(lit: string): string {
  if (lit.startsWith('`')) return lit.slice(1, -1);
  if (lit.startsWith("'")) {
    const inner = lit.slice(1, -1);
    return inner.startsWith('\\') ? JSON.parse(`"${inner}"`) : inner;
  }
  try {
    return JSON.parse(lit.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b'));
  } catch {
    throw new TemplateError(`bad string literal ${lit}`);
  }
}

function chainOf(text: string): string[] {
  return text.split('.').slice(1).filter((s) => s !== '');
}

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    if (c === '|' || c === '(' || c === ')' || c === ',' || c === '=') {
      toks.push({ t: 'op', v: c });
      i++;
      continue;
    }
    if (c === ':' && src[i + 1] === '=') {
      toks.push({ t: 'op', v: ':=' });
      i += 2;
      continue;
    }
    if (c === '"' || c === '`' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += c !== '`' && src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new TemplateError('unterminated quoted string');
      const lit = src.slice(i, j + 1);
      const s = unquote(lit);
      toks.push({ t: 'const', v: c === "'" ? new GoInt(s.codePointAt(0) ?? 0) : s });
      i = j + 1;
      continue;
    }
    // Numbers first: the identifier alternative would otherwise match the empty string.
    const word = /^([-+]?(?:0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)|\$?\w*(\.\w+)*\.?)/.exec(src.slice(i))?.[0] ?? '';
    if (word === '') throw new TemplateError(`unexpected ${JSON.stringify(c)} in command`);
    i += word.length;
    if (/^[-+]?\.?[0-9]/.test(word)) {
      const isFloat = !/^[-+]?0[xX]/.test(word) && /[.eE]/.test(word);
      const n = Number(word.replace(/_/g, ''));
      if (Number.isNaN(n)) throw new TemplateError(`bad number syntax: ${JSON.stringify(word)}`);
      toks.push({ t: 'const', v: isFloat ? n : new GoInt(n) });
    } else if (word.startsWith('$')) {
      const [name, ...rest] = word.split('.');
      toks.push({ t: 'var', v: name!, chain: rest.filter((s) => s !== '') });
    } else if (word.startsWith('.')) {
      toks.push({ t: 'field', v: word === '.' ? [] : chainOf(word) });
    } else if (word === 'true' || word === 'false') {
      toks.push({ t: 'const', v: word === 'true' });
    } else if (word === 'nil') {
      toks.push({ t: 'const', v: null });
    } else {
      toks.push({ t: 'ident', v: word });
    }
  }
  return toks;
}

const FUNCS = new Set(['and', 'or', 'not', 'len', 'index', 'print', 'printf', 'println', 'eq', 'ne', 'lt', 'le', 'gt', 'ge']);

class PipeParser {
  private pos = 0;
  constructor(private readonly toks: Tok[]) {}

  parse(allowDecl: boolean): Pipe {
    const pipe = this.pipeline(allowDecl);
    if (this.pos < this.toks.length) throw new TemplateError(`unexpected ${JSON.stringify(this.toks[this.pos])} in operand`);
    return pipe;
  }

  private peek(): Tok | undefined {
    return this.toks[this.pos];
  }

  private pipeline(allowDecl: boolean): Pipe {
    const pipe: Pipe = { decl: [], assign: false, cmds: [] };
    if (allowDecl) this.declarations(pipe);
    for (;;) {
      const cmd: Operand[] = [];
      for (let tok = this.peek(); tok && !(tok.t === 'op' && (tok.v === '|' || tok.v === ')')); tok = this.peek()) {
        cmd.push(this.operand());
      }
      if (cmd.length === 0) throw new TemplateError('missing value for command');
      pipe.cmds.push(cmd);
      const next = this.peek();
      if (next?.t === 'op' && next.v === '|') {
        this.pos++;
        continue;
      }
      return pipe;
    }
  }

  private declarations(pipe: Pipe): void {
    const a = this.toks[this.pos];
    const b = this.toks[this.pos + 1];
    if (a?.t !== 'var' || a.chain.length > 0) return;
    if (b?.t === 'op' && (b.v === ':=' || b.v === '=')) {
      pipe.decl.push(a.v);
      pipe.assign = b.v === '=';
      this.pos += 2;
      return;
    }
    const c = this.toks[this.pos + 2];
    const d = this.toks[this.pos + 3];
    if (b?.t === 'op' && b.v === ',' && c?.t === 'var' && d?.t === 'op' && (d.v === ':=' || d.v === '=')) {
      pipe.decl.push(a.v, c.v);
      pipe.assign = d.v === '=';
      this.pos += 4;
    }
  }

  private operand(): Operand {
    const tok = this.toks[this.pos++]!;
    switch (tok.t) {
      case 'field':
        return { kind: 'field', chain: tok.v };
      case 'var':
        return { kind: 'var', name: tok.v, chain: tok.chain };
      case 'const':
        return { kind: 'const', value: tok.v };
      case 'ident':
        if (KEYWORDS.has(tok.v)) throw new TemplateError(`unexpected keyword ${tok.v} in command`);
        if (!FUNCS.has(tok.v)) throw new TemplateError(`function "${tok.v}" not defined`);
        return { kind: 'func', name: tok.v };
      case 'op': {
        if (tok.v !== '(') throw new TemplateError(`unexpected "${tok.v}" in operand`);
        const pipe = this.pipeline(false);
        if (this.toks[this.pos]?.t !== 'op' || (this.toks[this.pos] as { v: string }).v !== ')') {
          throw new TemplateError('unclosed left paren');
        }
        this.pos++;
        // A field chain may follow the closing paren: (index .a 0).b
        const after = this.peek();
        let chain: string[] = [];
        if (after?.t === 'field' && after.v.length > 0) {
          chain = after.v;
          this.pos++;
        }
        return { kind: 'pipe', pipe, chain };
      }
    }
  }
}

interface Action {
  src: string;
}

/** Splits a template into text and action sources, applying trim markers and dropping comments. */
function scan(src: string): (string | Action)[] {
  const out: (string | Action)[] = [];
  let i = 0;
  let trimNext = false;
  while (i <= src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    if (open < 0) {
      if (text) out.push(text);
      break;
    }
    let j = open + 2;
    if (src[j] === '-' && SPACE.test(src[j + 1] ?? '')) {
      text = text.replace(/[ \t\r\n]+$/, '');
      j += 1;
    }
    if (text) out.push(text);
    // Find the closing delimiter outside quoted strings.
    let k = j;
    let quote = '';
    while (k < src.length) {
      const c = src[k]!;
      if (quote) {
        if (c === '\\' && quote !== '`') k++;
        else if (c === quote) quote = '';
      } else if (c === '"' || c === '`' || c === "'") {
        quote = c;
      } else if (c === '}' && src[k + 1] === '}') {
        break;
      } else if (c === '/' && src[k + 1] === '*') {
        const end = src.indexOf('*/', k + 2);
        if (end < 0) throw new TemplateError('unclosed comment');
        k = end + 1;
      }
      k++;
    }
    if (k >= src.length) throw new TemplateError('unclosed action');
    let body = src.slice(j, k);
    trimNext = false;
    if (body.endsWith(' -') || /[ \t\r\n]-$/.test(body)) {
      body = body.slice(0, -1);
      trimNext = true;
    }
    const trimmed = body.trim();
    if (trimmed.startsWith('/*')) {
      if (!trimmed.endsWith('*/')) throw new TemplateError('comment ends before closing delimiter');
    } else {
      out.push({ src: trimmed });
    }
    i = k + 2;
  }
  return out;
}

/** Parses template source into a node tree; throws TemplateError like Go's Parse would. */
export function parseTemplate(src: string): Node[] {
  const items = scan(src);
  let pos = 0;

  function list(): { nodes: Node[]; end: 'end' | 'else' | 'eof'; elseSrc?: string } {
    const nodes: Node[] = [];
    while (pos < items.length) {
      const item = items[pos++]!;
      if (typeof item === 'string') {
        nodes.push({ kind: 'text', text: item });
        continue;
      }
      const word = /^[a-z]+\b/.exec(item.src)?.[0];
      const rest = word ? item.src.slice(word.length).trim() : '';
      if (word === 'end') {
        if (rest) throw new TemplateError(`unexpected ${rest} in end`);
        return { nodes, end: 'end' };
      }
      if (word === 'else') return { nodes, end: 'else', elseSrc: rest };
      if (word === 'if' || word === 'with' || word === 'range') {
        nodes.push(control(word, rest));
        continue;
      }
      if (word && ['define', 'template', 'block', 'break', 'continue'].includes(word)) {
        throw new TemplateError(`{{${word}}} is not supported by metal-lab's template engine`);
      }
      if (item.src === '') throw new TemplateError('missing value for command');
      nodes.push({ kind: 'action', pipe: new PipeParser(tokenize(item.src)).parse(true) });
    }
    return { nodes, end: 'eof' };
  }

  function control(kind: 'if' | 'with' | 'range', src: string): Node {
    if (src === '') throw new TemplateError(`missing value for ${kind}`);
    const pipe = new PipeParser(tokenize(src)).parse(true);
    const body = list();
    if (body.end === 'eof') throw new TemplateError(`unexpected EOF in ${kind}`);
    let orElse: Node[] | undefined;
    if (body.end === 'else') {
      if (body.elseSrc && kind === 'if' && body.elseSrc.startsWith('if ')) {
        // {{else if x}} is shorthand for {{else}}{{if x}}..{{end}} sharing the outer {{end}}.
        orElse = [control('if', body.elseSrc.slice(3).trim())];
      } else {
        if (body.elseSrc) throw new TemplateError(`unexpected ${body.elseSrc} in else`);
        const tail = list();
        if (tail.end !== 'end') throw new TemplateError(`expected end; found ${tail.end}`);
        orElse = tail.nodes;
      }
    }
    return { kind, pipe, body: body.nodes, orElse };
  }

  const top = list();
  if (top.end !== 'eof') throw new TemplateError(`unexpected {{${top.end}}}`);
  return top.nodes;
}
