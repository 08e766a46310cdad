/**
 * Executes parsed templates with Go's text/template semantics under Matchbox's
 * `missingkey=error` option: a missing map key is an error (Matchbox then answers 404),
 * nil prints as `<no value>`, maps range in sorted key order, and/or evaluate every argument.
 */
import { GoInt, compareGoStrings, formatValue } from '../gofmt.js';
import { type Node, type Operand, type Pipe, TemplateError } from './parse.js';

/** Maps whose Go type is map[string]string (request.query): `index` of a missing key gives "" rather than nil. */
export const stringMaps = new WeakSet<object>();

type Scope = Map<string, unknown>[];

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoInt);
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'interface {}';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof GoInt) return 'int';
  if (Array.isArray(v)) return '[]interface {}';
  return stringMaps.has(v as object) ? 'map[string]string' : 'map[string]interface {}';
}

/** Go's template truth: false, 0, nil and empty strings, slices and maps are false. */
export function isTrue(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'number') return v !== 0;
  if (v instanceof GoInt) return v.n !== 0;
  if (Array.isArray(v)) return v.length > 0;
  return Object.keys(v as object).length > 0;
}

function field(receiver: unknown, name: string): unknown {
  if (isMap(receiver)) {
    if (!Object.prototype.hasOwnProperty.call(receiver, name)) throw new TemplateError(`map has no entry for key "${name}"`);
    return receiver[name];
  }
  if (receiver === null || receiver === undefined) throw new TemplateError(`nil pointer evaluating interface {}.${name}`);
  throw new TemplateError(`can't evaluate field ${name} in type ${typeName(receiver)}`);
}

function chain(v: unknown, names: string[]): unknown {
  return names.reduce(field, v);
}

type Kind = 'bool' | 'int' | 'float' | 'string';

function basicKind(v: unknown): Kind {
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof GoInt) return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string') return 'string';
  throw new TemplateError('invalid type for comparison');
}

function num(v: unknown): number {
  return v instanceof GoInt ? v.n : (v as number);
}

function equal(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  if (ka !== basicKind(b)) throw new TemplateError('incompatible types for comparison');
  return ka === 'int' || ka === 'float' ? num(a) === num(b) : a === b;
}

function less(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  if (ka === 'bool') throw new TemplateError('invalid type for comparison');
  if (ka !== basicKind(b)) throw new TemplateError('incompatible types for comparison');
  return ka === 'string' ? compareGoStrings(a as string, b as string) < 0 : num(a) < num(b);
}

/** fmt.Sprint: a space between operands when neither side is a string. */
function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

/** fmt.Sprintf for the verbs templates use: %v %s %d %t %q %%. */
function sprintf(format: unknown, args: unknown[]): string {
  if (typeof format !== 'string') throw new TemplateError('printf: format is not a string');
  let n = 0;
  const out = format.replace(/%([%vsdtq])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    if (n >= args.length) return `%!${verb}(MISSING)`;
    const a = args[n++];
    if (verb === 'q') return typeof a === 'string' ? JSON.stringify(a) : `%!q(${typeName(a)}=${formatValue(a)})`;
    if (verb === 'd' && !(a instanceof GoInt)) return `%!d(${typeName(a)}=${formatValue(a)})`;
    if (verb === 't' && typeof a !== 'boolean') return `%!t(${typeName(a)}=${formatValue(a)})`;
    return formatValue(a);
  });
  return n < args.length ? `${out}%!(EXTRA ${args.slice(n).map((a) => `${typeName(a)}=${formatValue(a)}`).join(', ')})` : out;
}

function index(item: unknown, keys: unknown[]): unknown {
  let v = item;
  for (const key of keys) {
    if (Array.isArray(v)) {
      if (!(key instanceof GoInt)) throw new TemplateError(`cannot index slice/array with type ${typeName(key)}`);
      if (key.n < 0 || key.n >= v.length) throw new TemplateError(`index out of range: ${key.n}`);
      v = v[key.n];
    } else if (isMap(v)) {
      if (typeof key !== 'string') throw new TemplateError(`value has type ${typeName(key)}; should be string`);
      v = Object.prototype.hasOwnProperty.call(v, key) ? v[key] : stringMaps.has(v) ? '' : null;
    } else if (v === null || v === undefined) {
      throw new TemplateError('index of untyped nil');
    } else {
      throw new TemplateError(`can't index item of type ${typeName(v)}`);
    }
  }
  return v;
}

function length(v: unknown): GoInt {
  if (typeof v === 'string') return new GoInt(Buffer.byteLength(v));
  if (Array.isArray(v)) return new GoInt(v.length);
  if (isMap(v)) return new GoInt(Object.keys(v).length);
  throw new TemplateError(`len of type ${typeName(v)}`);
}

function call(name: string, args: unknown[]): unknown {
  const need = (n: number) => {
    if (args.length !== n) throw new TemplateError(`wrong number of args for ${name}: want ${n} got ${args.length}`);
  };
  switch (name) {
    case 'and':
      return args.find((a) => !isTrue(a)) ?? args[args.length - 1];
    case 'or':
      return args.find((a) => isTrue(a)) ?? args[args.length - 1];
    case 'not':
      need(1);
      return !isTrue(args[0]);
    case 'len':
      need(1);
      return length(args[0]);
    case 'index':
      if (args.length < 1) throw new TemplateError('wrong number of args for index');
      return index(args[0], args.slice(1));
    case 'print':
      return sprint(args);
    case 'println':
      return `${args.map(formatValue).join(' ')}\n`;
    case 'printf':
      return sprintf(args[0], args.slice(1));
    case 'eq':
      if (args.length < 2) throw new TemplateError('missing argument for comparison');
      return args.slice(1).some((b) => equal(args[0], b));
    case 'ne':
      need(2);
      return !equal(args[0], args[1]);
    case 'lt':
      need(2);
      return less(args[0], args[1]);
    case 'le':
      need(2);
      return less(args[0], args[1]) || equal(args[0], args[1]);
    case 'gt':
      need(2);
      return !less(args[0], args[1]) && !equal(args[0], args[1]);
    case 'ge':
      need(2);
      return !less(args[0], args[1]);
  }
  throw new TemplateError(`function "${name}" not defined`);
}

class Exec {
  private out = '';
  constructor(private readonly root: unknown) {}

  run(nodes: Node[]): string {
    this.list(nodes, this.root, [new Map([['$', this.root]])]);
    return this.out;
  }

  private list(nodes: Node[], dot: unknown, scope: Scope): void {
    for (const node of nodes) {
      switch (node.kind) {
        case 'text':
          this.out += node.text;
          break;
        case 'action': {
          const v = this.pipe(node.pipe, dot, scope);
          if (node.pipe.decl.length === 0) this.out += v === null || v === undefined ? '<no value>' : formatValue(v);
          break;
        }
        case 'if':
        case 'with': {
          const inner: Scope = [...scope, new Map()];
          const v = this.pipe(node.pipe, dot, inner);
          if (isTrue(v)) this.list(node.body, node.kind === 'with' ? v : dot, inner);
          else if (node.orElse) this.list(node.orElse, dot, inner);
          break;
        }
        case 'range':
          this.range(node, dot, scope);
          break;
      }
    }
  }

  private range(node: Extract<Node, { kind: 'range' }>, dot: unknown, scope: Scope): void {
    const inner: Scope = [...scope, new Map()];
    const decl = node.pipe.decl;
    const v = this.pipe({ ...node.pipe, decl: [] }, dot, inner);
    let entries: [unknown, unknown][];
    if (Array.isArray(v)) entries = v.map((e, i) => [new GoInt(i), e]);
    else if (isMap(v)) entries = Object.keys(v).sort(compareGoStrings).map((k) => [k, v[k]]);
    else if (v === null || v === undefined) entries = [];
    else throw new TemplateError(`range can't iterate over ${formatValue(v)}`);
    if (entries.length === 0) {
      if (node.orElse) this.list(node.orElse, dot, inner);
      return;
    }
    for (const [key, elem] of entries) {
      const vars = new Map<string, unknown>();
      if (decl.length === 1) vars.set(decl[0]!, elem);
      if (decl.length === 2) {
        vars.set(decl[0]!, key);
        vars.set(decl[1]!, elem);
      }
      this.list(node.body, elem, [...inner, vars]);
    }
  }

  private lookupVar(name: string, scope: Scope): Map<string, unknown> {
    for (let i = scope.length - 1; i >= 0; i--) if (scope[i]!.has(name)) return scope[i]!;
    throw new TemplateError(`undefined variable: ${name}`);
  }

  private pipe(pipe: Pipe, dot: unknown, scope: Scope): unknown {
    let value: unknown;
    let piped = false;
    for (const cmd of pipe.cmds) {
      value = this.command(cmd, dot, scope, piped ? [value] : []);
      piped = true;
    }
    if (pipe.decl.length > 0) {
      const name = pipe.decl[0]!;
      if (pipe.assign) this.lookupVar(name, scope).set(name, value);
      else scope[scope.length - 1]!.set(name, value);
    }
    return value;
  }

  private command(cmd: Operand[], dot: unknown, scope: Scope, piped: unknown[]): unknown {
    const [first, ...rest] = cmd as [Operand, ...Operand[]];
    if (first.kind === 'func') {
      return call(first.name, [...rest.map((op) => this.operand(op, dot, scope)), ...piped]);
    }
    if (rest.length > 0 || piped.length > 0) {
      throw new TemplateError(`can't give argument to non-function ${first.kind === 'field' ? '.' + first.chain.join('.') : ''}`);
    }
    return this.operand(first, dot, scope);
  }

  private operand(op: Operand, dot: unknown, scope: Scope): unknown {
    switch (op.kind) {
      case 'field':
        return chain(dot, op.chain);
      case 'var':
        return chain(this.lookupVar(op.name, scope).get(op.name), op.chain);
      case 'const':
        return op.value;
      case 'pipe':
        return chain(this.pipe(op.pipe, dot, scope), op.chain);
      case 'func':
        return call(op.name, []);
    }
  }
}

/** Renders parsed nodes with `data` as dot; throws TemplateError where Go's Execute fails. */
export function execute(nodes: Node[], data: unknown): string {
  return new Exec(data).run(nodes);
}
