import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

/** A labos /usr image in miniature, made with mkfs.ext4 -d: os-release as build.sh fills it in, and an init. */

export const osRelease = (version: string) =>
  `PRETTY_NAME="labos ${version} (Debian GNU/Linux 12 bookworm)"\nNAME=labos\nID=labos\nID_LIKE=debian\nVERSION=${version}\nVERSION_ID=${version}\nVERSION_CODENAME=bookworm\n`;

/** `<dir>/usr.ext4` of `mib` MiB holding lib/os-release of `version` and a 64 KiB lib/systemd/systemd. */
export async function usrImage(dir: string, version: string, mib = 64): Promise<string> {
  const tree = path.join(dir, 'usr');
  await mkdir(path.join(tree, 'lib/systemd'), { recursive: true });
  await writeFile(path.join(tree, 'lib/os-release'), osRelease(version));
  await writeFile(path.join(tree, 'lib/systemd/systemd'), Buffer.alloc(64 * 1024, 0x7f), { mode: 0o755 });
  const image = path.join(dir, 'usr.ext4');
  await execa('mkfs.ext4', ['-q', '-F', '-L', 'usr', '-d', tree, image, `${mib}M`]);
  return image;
}
