/**
 * The rooms of src/ and the order of their floors: a file may import its own room and rooms on
 * lower floors, never a room on its own floor or above (the ground floor's rooms excepted: they
 * are one floor that imports nothing else). README.md ("Architecture") explains them.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Floor of each room, by its path under src/ (a folder, or a file of the ground floor). */
export const FLOORS: Readonly<Record<string, number>> = {
  // Ground: facts and helpers every room may use; imports no other room.
  'errors.ts': 0,
  ground: 0,
  toolkit: 0,
  // Lab and scenario files: load and check, into the ground floor's typed lab.
  spec: 1,
  // One outside thing each: the boot server, virsh, certificates, SSH, QEMU, progress lines.
  matchbox: 2,
  libvirt: 2,
  pki: 2,
  node: 2,
  qemu: 2,
  report: 2,
  // Side by side, so none reaches into another: node image builders, the pure render of every
  // file a lab needs, the Kubernetes pivot and API checks, host set-up, release channels.
  images: 3,
  render: 3,
  kube: 3,
  setup: 3,
  release: 3,
  // A run's artifacts (timeline, request log, leases, rollout timeline) read back into report.html.
  'html-report': 3,
  // Host checks, the image cache among them; the rollout guard beside FLUO's update-operator.
  preflight: 4,
  guard: 4,
  // The workshop bundle: everything the builds and setup use, in one checked file and back.
  bundle: 4,
  // Apply: up, down, status.
  lab: 5,
  // Scenario steps, waits and checks.
  scenario: 6,
  cli: 7,
};

/** The room of a path under src/ (`lab/up.ts` -> `lab`, `errors.ts` -> `errors.ts`). */
export function roomOf(rel: string): string {
  const [first = ''] = rel.split('/');
  return rel.includes('/') ? first : rel;
}

export interface SrcImport {
  /** The importing file, relative to src/. */
  file: string;
  /** The imported file, relative to src/ (a `.js` specifier names its `.ts` source). */
  target: string;
  /** The specifier as written. */
  specifier: string;
}

/** An import that runs up (or sideways) between rooms, as one line that names both ends. */
export function upwardImports(imports: readonly SrcImport[]): string[] {
  const floor = (room: string) => {
    const f = FLOORS[room];
    if (f === undefined) throw new Error(`src/${room} is in no room: give it a floor in test/support/rooms.ts`);
    return f;
  };
  return imports.flatMap(({ file, target, specifier }) => {
    const [from, to] = [roomOf(file), roomOf(target)];
    if (from === to || floor(to) < floor(from) || floor(to) + floor(from) === 0) return [];
    return [`src/${file} (${from}, floor ${floor(from)}) imports '${specifier}' (${to}, floor ${floor(to)})`];
  });
}

/** Every relative import of every .ts file under `srcDir`: static, type-only, re-exports and import(). */
export function srcImports(srcDir: string): SrcImport[] {
  const files = fs
    .readdirSync(srcDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.split(path.sep).join('/'));
  return files.flatMap((file) => {
    const text = fs.readFileSync(path.join(srcDir, file), 'utf8');
    return ts
      .preProcessFile(text, true, true)
      .importedFiles.map((i) => i.fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => ({
        file,
        specifier,
        target: path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, '.ts'),
      }));
  });
}
