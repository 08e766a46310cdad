import type { LabSpec } from '../ground/lab-spec.js';
import { labModel } from '../ground/lab-model.js';
import type { LabPki } from '../pki/ensure.js';
import { file, type IgnFile } from './ignition-files.js';

/**
 * In a lab with `updates:`, what labos's update engine reads: the server of the release channels,
 * the lab's release key that signs them, and the channel, as Flatcar keeps an admin's choice of
 * GROUP in /etc/flatcar/update.conf (FLUO's agent reads the same file for its group label).
 */
export function renderUpdateIgnition(lab: LabSpec, pki: LabPki): IgnFile[] {
  if (!lab.updates) return [];
  return [
    file('/etc/labos/update.conf', `SERVER=${labModel(lab).releasesUrl}\n`, 0o644),
    file('/etc/labos/release.pub', pki.release.publicPem, 0o644),
    file('/etc/flatcar/update.conf', `GROUP=${lab.updates.channel}\n`, 0o644),
  ];
}
