import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { dnsmasq, ip as ipTool, program, root } from '../../support/needs.js';
import { all, one, parseXml } from '../../support/xml-query.js';

/**
 * A real DHCP exchange against a rendered network's DHCP settings, entirely inside two private
 * network namespaces joined by a veth pair: dnsmasq (as libvirt would run it) in one, busybox
 * udhcpc posing as a PXE ROM or iPXE in the other. Nothing touches the host's interfaces.
 */

export interface DhcpAnswer {
  ip: string;
  /** The BOOTP `file` field, where dnsmasq puts the dhcp-boot filename. */
  bootFile: string;
  /** Option 175 (iPXE's encapsulated settings) as hex, when the server sent it. */
  ipxeEncap?: string;
}

export interface DhcpClient {
  mac: string;
  /** DHCP option 93 (client system architecture): 0 BIOS, 7 EFI BC, 9 EFI x86-64. */
  arch: number;
  /** DHCP option 77 as iPXE sends it (raw, not RFC 3004 framed). */
  userClass?: string;
  vendorClass?: string;
}

const ip = (...args: string[]) => execa('ip', args);

/** Network namespaces need root; busybox-static is the DHCP client. */
export const DHCP_BENCH_NEEDS = [root, dnsmasq, ipTool, program('busybox', 'busybox-static')];

/** dnsmasq arguments equivalent to what libvirt 9.0 writes for the rendered <ip><dhcp> block. */
function dnsmasqArgs(networkXml: string, iface: string, confFile: string): string[] {
  const net = parseXml(networkXml);
  const range = one(net, 'range');
  const hosts = all(one(net, 'dhcp'), 'host').map((h) => {
    const lease = all(h, 'lease')[0];
    const expiry = lease ? `,${lease.getAttribute('expiry')}${lease.getAttribute('unit')?.[0] ?? ''}` : '';
    return `--dhcp-host=${h.getAttribute('mac')},${h.getAttribute('ip')},${h.getAttribute('name')}${expiry}`;
  });
  return [
    '--keep-in-foreground',
    '--port=0',
    '--no-resolv',
    '--no-hosts',
    `--interface=${iface}`,
    '--bind-interfaces',
    '--pid-file=',
    '--leasefile-ro',
    '--log-dhcp',
    '--log-facility=-',
    `--dhcp-range=${range.getAttribute('start')},${range.getAttribute('end')}`,
    // libvirt adds these two for every network with DHCP (see its bridge driver).
    '--dhcp-no-override',
    '--dhcp-authoritative',
    ...hosts,
    `--conf-file=${confFile}`,
  ];
}

function waitForOutput(proc: ResultPromise, pattern: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`dnsmasq did not start within ${ms} ms:\n${seen}`)), ms);
    proc.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.catch((error: unknown) => {
      clearTimeout(timer);
      reject(new Error(`dnsmasq exited: ${String(error)}\n${seen}`));
    });
  });
}

export class DhcpBench {
  private constructor(
    private readonly tag: string,
    private readonly dir: string,
    private readonly dnsmasq: ResultPromise,
  ) {}

  private get server() {
    return `${this.tag}s`;
  }
  private get client() {
    return `${this.tag}c`;
  }

  /** Starts dnsmasq for the rendered network in a fresh namespace pair. */
  static async start(networkXml: string): Promise<DhcpBench> {
    const tag = `mlrt${randomBytes(3).toString('hex')}`;
    const [server, client] = [`${tag}s`, `${tag}c`];
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ml-dhcp-'));
    const net = parseXml(networkXml);
    const gateway = all(net, 'ip').find((e) => e.getAttribute('family') !== 'ipv6')!;
    try {
      await ip('netns', 'add', server);
      await ip('netns', 'add', client);
      await ip('link', 'add', server, 'netns', server, 'type', 'veth', 'peer', 'name', client, 'netns', client);
      await ip('-n', server, 'addr', 'add', `${gateway.getAttribute('address')}/${gateway.getAttribute('prefix')}`, 'dev', server);
      await ip('-n', server, 'link', 'set', server, 'up');
      const confFile = path.join(dir, 'dnsmasq.conf');
      // The <dnsmasq:option> values, verbatim, exactly as libvirt appends them to its config.
      const options = all(net, 'dnsmasq:option').map((o) => o.getAttribute('value'));
      await fs.writeFile(confFile, `${options.join('\n')}\n`);
      await fs.writeFile(
        path.join(dir, 'udhcpc.sh'),
        '#!/bin/sh\n[ "$1" = bound ] && echo "ANSWER ip=$ip boot_file=$boot_file opt175=$opt175"\nexit 0\n',
        { mode: 0o755 },
      );
      const dnsmasq = execa('ip', ['netns', 'exec', server, 'dnsmasq', ...dnsmasqArgs(networkXml, server, confFile)]);
      const bench = new DhcpBench(tag, dir, dnsmasq);
      await waitForOutput(dnsmasq, /DHCP, IP range/, 10_000).catch(async (error: unknown) => {
        await bench.stop();
        throw error;
      });
      return bench;
    } catch (error) {
      await DhcpBench.removeNamespaces(server, client);
      await fs.rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** One DISCOVER/REQUEST as the given client; resolves with what dnsmasq handed out. */
  async ask(c: DhcpClient): Promise<DhcpAnswer> {
    await ip('-n', this.client, 'link', 'set', this.client, 'down');
    await ip('-n', this.client, 'link', 'set', this.client, 'address', c.mac);
    await ip('-n', this.client, 'link', 'set', this.client, 'up');
    const args = ['-i', this.client, '-f', '-q', '-n', '-t', '5', '-T', '1', '-O', '175', '-s', path.join(this.dir, 'udhcpc.sh')];
    args.push('-x', `0x5d:${c.arch.toString(16).padStart(4, '0')}`);
    if (c.userClass) args.push('-x', `0x4d:${Buffer.from(c.userClass).toString('hex')}`);
    if (c.vendorClass) args.push('-V', c.vendorClass);
    const r = await execa('ip', ['netns', 'exec', this.client, 'busybox', 'udhcpc', ...args], { timeout: 30_000 });
    const m = /ANSWER ip=(\S*) boot_file=(\S*) opt175=(\S*)/.exec(r.stdout);
    if (!m) throw new Error(`no lease: ${r.stdout}\n${r.stderr}`);
    return { ip: m[1] ?? '', bootFile: m[2] ?? '', ...(m[3] ? { ipxeEncap: m[3] } : {}) };
  }

  async stop(): Promise<void> {
    this.dnsmasq.kill();
    await this.dnsmasq.catch(() => undefined);
    await DhcpBench.removeNamespaces(this.server, this.client);
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  private static async removeNamespaces(...names: string[]): Promise<void> {
    // Deleting a namespace also deletes the veth end inside it (and so its peer).
    for (const name of names) await execa('ip', ['netns', 'del', name], { reject: false });
  }
}
