import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

/** What umoci made of an image: its root filesystem and the OCI runtime config it derived. */
export interface Unpacked {
  layout: string;
  rootfs: string;
  process: { args?: string[]; env: string[]; cwd: string };
}

/**
 * Unpacks an OCI archive with umoci, an OCI reader independent of our writer: it checks every
 * blob's digest and size against the manifest while it unpacks.
 */
export async function umociUnpack(archive: string, tag: string, into: string): Promise<Unpacked> {
  const layout = path.join(into, 'layout');
  const bundle = path.join(into, 'bundle');
  await mkdir(layout, { recursive: true });
  await execa('tar', ['-xf', archive, '-C', layout]);
  await execa('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]);
  const config = JSON.parse(await readFile(path.join(bundle, 'config.json'), 'utf8')) as { process: Unpacked['process'] };
  return { layout, rootfs: path.join(bundle, 'rootfs'), process: config.process };
}

export async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}
