import { labObjectNames, type LabSpec, type NodeSpec } from '../ground/lab-spec.js';
import { serialize, xmlRoot } from './libvirt-xml.js';

/** The lab's storage pool: a plain directory holding one qcow2 volume per node. */
export function renderPoolXml(lab: Pick<LabSpec, 'id' | 'nodes'>, disksDir: string): string {
  const pool = xmlRoot('pool', { type: 'dir' });
  pool.ele('name').txt(labObjectNames(lab).pool);
  pool.ele('target').ele('path').txt(disksDir);
  return serialize(pool);
}

/** A node's blank disk: qcow2 allocates on write, so the full size costs nothing up front. */
export function renderVolumeXml(lab: Pick<LabSpec, 'id' | 'nodes'>, node: NodeSpec): string {
  const vol = xmlRoot('volume', { type: 'file' });
  vol.ele('name').txt(labObjectNames(lab).volume(node.name));
  vol.ele('capacity', { unit: 'GiB' }).txt(String(node.diskGiB));
  vol.ele('target').ele('format', { type: 'qcow2' });
  return serialize(vol);
}
