import { etcdMembersWarning } from '../ground/lab-model.js';
import type { LabSpec } from '../ground/lab-spec.js';

/** What a lab file allows but a user should hear about, said before the command goes on. */
export function warnOf(lab: LabSpec, say: (line: string) => void): void {
  const warning = etcdMembersWarning(lab);
  if (warning) say(`warning: ${warning}`);
}
