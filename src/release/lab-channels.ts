import { existsSync } from 'node:fs';
import path from 'node:path';
import { LabError } from '../errors.js';
import type { HostLayout } from '../ground/host-layout.js';
import { labModel } from '../ground/lab-model.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { pkiLayout, readIfExists } from '../pki/files.js';
import { RELEASE_KEY } from '../pki/plan.js';
import { Secret } from '../pki/secret.js';

/** Where a lab that is up serves its release channels, and the key pair that signs them. */
export interface LabChannels {
  /** The boot server's assets dir: channels are `releases/<channel>/` in it. */
  assetsDir: string;
  /** What a node's /etc/labos/update.conf says: SERVER=<this>. */
  server: string;
  key: Secret;
  publicPem: string;
  publicFile: string;
}

/** Exit 2 when the lab is not up, or came up without the release key (live boot, or before there was one). */
export async function labChannels(lab: LabSpec, host: HostLayout): Promise<LabChannels> {
  const layout = host.lab(lab.id);
  const up = `metal-lab up ${path.relative(process.cwd(), lab.file)} --boot install`;
  // Only whether `up` wrote its state file: the lab room, which reads it, is a floor above this one.
  if (!existsSync(layout.state)) throw new LabError(`lab ${lab.id} is not up (no state in ${layout.root})`, `bring it up first: ${up}`, 2);
  const keys = pkiLayout(layout.pki);
  const keyFile = keys.key(RELEASE_KEY);
  const publicFile = keys.publicKey(RELEASE_KEY);
  const [keyPem, publicPem] = await Promise.all([readIfExists(keyFile), readIfExists(publicFile)]);
  if (keyPem === undefined || publicPem === undefined) {
    // A lab up with --boot live has no PKI; one up before release keys existed has no release key.
    throw new LabError(`lab ${lab.id} has no release key (${keyFile})`, `run ${up}: it adds the key to the lab's PKI and keeps the rest`, 2);
  }
  return { assetsDir: layout.matchboxAssets, server: labModel(lab).releasesUrl, key: new Secret(keyPem), publicPem, publicFile };
}
