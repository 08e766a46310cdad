/** Go text/template, the subset Matchbox data-dir templates use, with Matchbox's missingkey=error. */
import { execute, stringMaps } from './exec.js';
import { type Node, TemplateError, parseTemplate } from './parse.js';

export { TemplateError, stringMaps };

export interface CompiledTemplate {
  render(data: unknown): string;
}

/** Parses once; `render` may be called many times. Throws TemplateError on a parse error. */
export function compileTemplate(src: string): CompiledTemplate {
  const nodes: Node[] = parseTemplate(src);
  return { render: (data) => execute(nodes, data) };
}
