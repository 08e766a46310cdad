import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { spawnTied, stopProcess } from './child-processes.js';

/** A message body as busctl prints it: the D-Bus signature and the values. */
export interface Body {
  type: string;
  data: unknown[];
}

export interface PrivateBus {
  address: string;
  stop(): Promise<void>;
}

/**
 * A dbus-daemon of its own, configured like Debian's system bus (system.conf): nobody may own a
 * name or call a method unless a policy file says so, and root may monitor. `policies` are
 * included as the system bus includes system.d/. Run as another user, the test user gets what
 * the policies give root, so the same services can start.
 */
export async function startPrivateSystemBus(dir: string, policies: string[]): Promise<PrivateBus> {
  const user = os.userInfo().username;
  const asRoot = process.getuid?.() === 0;
  const config = path.join(dir, 'system-bus.conf');
  await writeFile(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${path.join(dir, 'system_bus_socket')}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <policy user="${user}">
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>${
      asRoot ? '' : '\n    <allow own="*"/>\n    <allow send_type="method_call"/>'
    }
  </policy>
${policies.map((p) => `  <include>${p}</include>`).join('\n')}
</busconfig>
`,
  );
  const daemon = spawnTied('dbus-daemon', [`--config-file=${config}`, '--nofork', '--nosyslog', '--print-address=1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  daemon.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const [first] = (await Promise.race([
    once(createInterface({ input: daemon.stdout! }), 'line'),
    once(daemon, 'exit').then(() => {
      throw new Error(`dbus-daemon with ${config} exited: ${stderr.trim()}`);
    }),
  ])) as [string];
  return {
    address: first.trim(),
    stop: () => stopProcess(daemon),
  };
}

export interface CallOptions {
  /** Run busctl as this uid (and its group): root only. */
  uid?: number;
  args?: string[];
}

/** One method call through busctl, an sd-bus client (not libdbus, which the service uses). */
export async function busCall(address: string, dest: string, objectPath: string, iface: string, member: string, opts: CallOptions = {}): Promise<Body> {
  const asUser = opts.uid === undefined ? [] : ['setpriv', `--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups'];
  const argv = [...asUser, 'busctl', `--address=${address}`, '--json=short', '--timeout=10', 'call', dest, objectPath, iface, member, ...(opts.args ?? [])];
  const r = await execa(argv[0]!, argv.slice(1), { reject: false });
  if (r.exitCode !== 0) throw new Error(`busctl call ${dest} ${iface}.${member}: ${r.stderr.trim()}`);
  return r.stdout.trim() === '' ? { type: '', data: [] } : (JSON.parse(r.stdout) as Body);
}

export interface Monitor {
  /** The bodies of the matching signals so far, in the order the bus delivered them. */
  bodies: Body[];
  stop(): Promise<void>;
}

/** busctl monitor on a match rule; resolves once the bus delivers to it. */
export async function busMonitor(address: string, match: string): Promise<Monitor> {
  const child = spawnTied('busctl', [`--address=${address}`, 'monitor', '--json=short', `--match=${match}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const bodies: Body[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const m = JSON.parse(line) as { type: string; payload: Body };
    if (m.type === 'signal') bodies.push(m.payload);
  });
  let stderr = '';
  await new Promise<void>((ready, failed) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('Monitoring bus message stream')) ready();
    });
    child.on('exit', () => failed(new Error(`busctl monitor exited: ${stderr.trim()}`)));
  });
  return {
    bodies,
    stop: () => stopProcess(child),
  };
}
