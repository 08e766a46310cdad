import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../matchbox/writer.js';
import type { LabPlan } from '../render/plan.js';

/** Hard-links (or, across filesystems, copies) a built file into place unless it is already there. */
async function place(src: string, dest: string): Promise<void> {
  const [a, b] = await Promise.all([fs.stat(src), fs.stat(dest).catch(() => undefined)]);
  if (b && a.ino === b.ino && a.dev === b.dev) return;
  await fs.mkdir(path.dirname(dest), { recursive: true, mode: 0o755 });
  await fs.rm(dest, { force: true });
  await fs.link(src, dest).catch(() => fs.copyFile(src, dest));
}

/**
 * Writes a render plan under a lab's state dir, in the plan's order. Every file is replaced
 * atomically, so the running boot server reads the old file or the new one; safe to repeat.
 */
export async function writePlan(root: string, plan: LabPlan): Promise<void> {
  await fs.mkdir(root, { recursive: true, mode: 0o755 });
  for (const [rel, entry] of plan) {
    const file = path.join(root, rel);
    if (entry.kind === 'dir') {
      if (entry.fresh) await fs.rm(file, { recursive: true, force: true });
      await fs.mkdir(file, { recursive: true });
      // After mkdir: the umask trims mkdir's mode, and an existing dir keeps its old one.
      await fs.chmod(file, entry.mode);
    } else if (entry.kind === 'text') {
      await writeFileAtomic(file, entry.text, entry.mode);
    } else {
      await place(entry.from, file);
    }
  }
}
