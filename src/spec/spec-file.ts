import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** Reading a lab or scenario file: what stops the read becomes words for the one line, never an errno's stack. */

/** Far above any lab or scenario file (a few KiB), far below a file that is no such thing. */
const MAX_BYTES = 1024 * 1024;

/** The text, or why there is none; a problem without a fix takes the caller's (which file to pass instead). */
export type SpecText = { text: string } | { problem: string; fix?: string };

export async function readSpecFile(file: string, kind: 'lab' | 'scenario'): Promise<SpecText> {
  try {
    // stat first: reading a named pipe would wait for a writer forever, and /dev/zero never ends.
    const info = await stat(file);
    if (info.isDirectory()) return { problem: `is a directory, not a ${kind} file` };
    if (!info.isFile()) return { problem: `is not a regular file, so not a ${kind} file` };
    if (info.size > MAX_BYTES) return { problem: `is ${(info.size / 1024 ** 2).toFixed(1)} MiB, too big for a ${kind} file (YAML of a few KiB)` };
    return { text: await readFile(file, 'utf8') };
  } catch (err) {
    return whyUnreadable(err as NodeJS.ErrnoException, kind);
  }
}

/** An errno in words; a missing file has no fix of its own. */
export function whyUnreadable(err: NodeJS.ErrnoException, kind: string): { problem: string; fix?: string } {
  switch (err.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return { problem: `no such ${kind} file` };
    case 'EACCES':
    case 'EPERM':
      return { problem: 'cannot be read: permission denied', fix: 'make it readable for this user (ls -l shows its owner and mode)' };
    case 'ELOOP':
      return { problem: 'is a loop of symbolic links', fix: 'point the link at the file itself' };
    default:
      return { problem: `cannot be read: ${err.message}`, fix: 'check the file and the filesystem it is on' };
  }
}

/** Errors name a file as a user would type it: relative inside the working directory. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
