import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cachedBuild, readRecord, type BuildReporting } from '../../toolkit/cached-build.js';
import { type OciImageSpec, writeOciArchive } from './layout.js';

/** One image's OCI archive, which `ctr -n k8s.io images import` loads under its metal-lab.local reference. */
export interface BuiltImage {
  ref: string;
  archive: string;
  digest: string;
  bytes: number;
}

const IMAGE_JSON = 'image.json';

/** image.json names the archive relative to its dir: the dir is built under a temp name and renamed. */
async function readImage(dir: string): Promise<BuiltImage | undefined> {
  const image = await readRecord<BuiltImage>(path.join(dir, IMAGE_JSON));
  return image && { ...image, archive: path.join(dir, image.archive) };
}

export interface CachedImageOptions extends BuildReporting {
  ref: string;
  /** The cache dir of this image: each key gets its own entry in it. */
  root: string;
  /** The archive's file name in its entry. */
  file: string;
  /** Every input the image depends on: any change makes a new key. */
  inputs: unknown;
  /** The image to write, given a scratch dir for what its layers are made of (removed after). */
  spec: (work: string) => Promise<OciImageSpec>;
}

/** The image of `inputs`, cached under `<root>/<key>/`: a second call with the same inputs builds nothing. */
export async function cachedImage(o: CachedImageOptions): Promise<BuiltImage> {
  const r = await cachedBuild({
    onProgress: o.onProgress,
    onHeartbeat: o.onHeartbeat,
    what: `the image ${o.ref}`,
    root: o.root,
    inputs: o.inputs,
    read: readImage,
    summary: (i) => `${(i.bytes / 1e6).toFixed(1)} MB`,
    build: async (tmp) => {
      const work = path.join(tmp, 'work');
      await mkdir(work);
      const spec = await o.spec(work);
      const written = await writeOciArchive(spec, path.join(tmp, o.file));
      await rm(work, { recursive: true, force: true });
      const image: BuiltImage = { ref: spec.ref, archive: o.file, digest: written.digest, bytes: written.bytes };
      await writeFile(path.join(tmp, IMAGE_JSON), `${JSON.stringify(image, null, 2)}\n`);
    },
  });
  return r.value;
}
