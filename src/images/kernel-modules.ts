import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../toolkit/command-error.js';

/** A kernel unpacked from its .deb: `root` holds boot/ and lib/modules/<version>/. */
export interface KernelTree {
  root: string;
  version: string;
  vmlinuz: string;
  modulesDir: string;
}

/** A driver the image needs, with the Kconfig symbol that says whether it is built in (y) or a module (m). */
export interface WantedModule {
  module: string;
  config: string;
}

export async function findKernel(root: string): Promise<KernelTree> {
  const image = (await readdir(path.join(root, 'boot'))).find((f) => f.startsWith('vmlinuz-'));
  if (!image) throw new Error(`no boot/vmlinuz-* in the unpacked kernel package at ${root}`);
  const version = image.slice('vmlinuz-'.length);
  return {
    root,
    version,
    vmlinuz: path.join(root, 'boot', image),
    modulesDir: path.join(root, 'lib', 'modules', version),
  };
}

/** The value of one Kconfig symbol in a kernel's boot/config-* text. */
export function configValue(configText: string, symbol: string): 'y' | 'm' | undefined {
  const m = new RegExp(`^${symbol}=(y|m)$`, 'm').exec(configText);
  return m?.[1] as 'y' | 'm' | undefined;
}

/** Module name as the kernel spells it: file basename without .ko, dashes as underscores. */
function moduleName(relPath: string): string {
  return path.basename(relPath).replace(/\.ko(\.\w+)?$/, '').replace(/-/g, '_');
}

/**
 * Orders modules for insmod from modules.dep text: every dependency before its user.
 * Returns paths relative to lib/modules/<version>/. Each line's own dependency list is
 * followed recursively, so the result does not rely on how depmod ordered a line.
 */
export function loadOrder(modulesDep: string, roots: string[]): string[] {
  const deps = new Map<string, { file: string; deps: string[] }>();
  for (const line of modulesDep.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const file = line.slice(0, colon).trim();
    deps.set(moduleName(file), { file, deps: line.slice(colon + 1).trim().split(/\s+/).filter(Boolean) });
  }
  const order: string[] = [];
  const visit = (name: string, chain: string[]) => {
    const entry = deps.get(name);
    if (!entry) throw new Error(`module ${name} is not in modules.dep (needed by ${chain.join(' <- ') || 'the image'})`);
    if (order.includes(entry.file)) return;
    if (chain.includes(name)) throw new Error(`module dependency cycle: ${[...chain, name].join(' -> ')}`);
    for (const dep of entry.deps) visit(moduleName(dep), [...chain, name]);
    order.push(entry.file);
  };
  for (const root of roots) visit(root.replace(/-/g, '_'), []);
  return order;
}

/**
 * The .ko files (relative to the modules dir, in load order) that bring up `wanted` on this kernel.
 * Built-in drivers need nothing; a driver the kernel lacks entirely is an error. The .deb ships
 * no modules.dep (its postinst runs depmod), so the image's own busybox depmod generates it.
 */
export async function modulesFor(kernel: KernelTree, wanted: WantedModule[], busybox: string): Promise<string[]> {
  const config = await readFile(path.join(kernel.root, 'boot', `config-${kernel.version}`), 'utf8');
  const roots: string[] = [];
  for (const w of wanted) {
    const value = configValue(config, w.config);
    if (value === undefined) throw new Error(`kernel ${kernel.version} has no ${w.module} (${w.config} is not set)`);
    if (value === 'm') roots.push(w.module);
  }
  if (roots.length === 0) return [];
  await runCommand([busybox, 'depmod', '-b', kernel.root, kernel.version]);
  return loadOrder(await readFile(path.join(kernel.modulesDir, 'modules.dep'), 'utf8'), roots);
}
