import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';

/** The lab's SSH key pair: ed25519 in OpenSSH format, as ssh2 writes and reads it. */

export interface SshKeyPair {
  /** OpenSSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`). */
  privateKey: string;
  /** One authorized_keys line: `ssh-ed25519 AAAA... metal-lab@<lab>`. */
  publicKey: string;
}

export function sshComment(labId: string): string {
  return `metal-lab@${labId}`;
}

export function newSshKeyPair(labId: string): SshKeyPair {
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: sshComment(labId) });
  return { privateKey: pair.private, publicKey: `${pair.public.trim()}\n` };
}

/** The parsed private key, or undefined when the text is not a usable unencrypted key. */
export function parseSshPrivate(text: string): ParsedKey | undefined {
  const key = parseSsh(text);
  return key?.isPrivateKey() ? key : undefined;
}

/** The authorized_keys line for a private key, carrying the lab's comment. */
export function sshPublicLine(key: ParsedKey, labId: string): string {
  return `${key.type} ${key.getPublicSSH().toString('base64')} ${sshComment(labId)}\n`;
}

/** Whether an authorized_keys line holds the public half of `key`. */
export function sshPublicMatches(line: string, key: ParsedKey): boolean {
  const pub = parseSsh(line);
  return pub !== undefined && !pub.isPrivateKey() && pub.getPublicSSH().equals(key.getPublicSSH());
}

function parseSsh(text: string): ParsedKey | undefined {
  const parsed = ssh2.utils.parseKey(text);
  // parseKey returns an Error for bad input and an array for multi-key files; the lab writes single keys.
  return parsed instanceof Error || Array.isArray(parsed) ? undefined : parsed;
}
