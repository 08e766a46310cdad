/**
 * Reads ignition/ and generic/ files by name, as Matchbox does on every request, but keeps the
 * text and the parsed template while the file's identity (inode, size, mtime) is unchanged.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { type CompiledTemplate, TemplateError, compileTemplate } from './template/index.js';

export type TemplateDir = 'ignition' | 'generic';

interface Entry {
  stamp: string;
  text: string;
  compiled?: CompiledTemplate | TemplateError;
}

export interface TemplateFile {
  text: string;
  /** The parsed template; throws TemplateError when the file does not parse. */
  template(): CompiledTemplate;
}

/** Matchbox's Dir.sanitize: the name is cleaned as an absolute path, so it cannot leave the directory. */
function resolve(dataDir: string, dir: TemplateDir, name: string): string | undefined {
  if (name.includes('\0')) return undefined;
  return path.join(dataDir, dir, path.posix.normalize(`/${name}`));
}

export class TemplateFiles {
  private readonly cache = new Map<string, Entry>();

  constructor(private readonly dataDir: string) {}

  /** The file, or undefined when it does not exist or is not a regular file (Matchbox answers 404). */
  async get(dir: TemplateDir, name: string): Promise<TemplateFile | undefined> {
    const file = resolve(this.dataDir, dir, name);
    if (file === undefined) return undefined;
    const st = await fs.stat(file).catch(() => undefined);
    if (!st?.isFile()) {
      this.cache.delete(file);
      return undefined;
    }
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    let entry = this.cache.get(file);
    if (entry?.stamp !== stamp) {
      const text = await fs.readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) return undefined;
      entry = { stamp, text };
      this.cache.set(file, entry);
    }
    const e = entry;
    return {
      text: e.text,
      template() {
        if (!e.compiled) {
          try {
            e.compiled = compileTemplate(e.text);
          } catch (err) {
            e.compiled = err instanceof TemplateError ? err : new TemplateError(String(err));
          }
        }
        if (e.compiled instanceof TemplateError) throw e.compiled;
        return e.compiled;
      },
    };
  }
}
