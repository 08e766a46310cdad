import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { HostError } from '../../../src/errors.js';
import type { NodeSpec } from '../../../src/ground/lab-spec.js';
import { availableMemoryMiB, checkMemoryFits } from '../../../src/preflight/memory.js';
import { tempDir } from '../../support/temp-dir.js';

const node = (name: string, memoryMiB: number): NodeSpec => ({ name, role: 'worker', mac: '52:54:00:00:00:01', ip: '10.0.0.2', memoryMiB, vcpus: 1, diskGiB: 4, firmware: 'bios' });

test('the host has what /proc/meminfo calls MemAvailable', async (t) => {
  const meminfo = path.join(await tempDir(t), 'meminfo');
  await writeFile(meminfo, 'MemTotal:       24683620 kB\nMemFree:        11186804 kB\nMemAvailable:   15014728 kB\nBuffers:           37048 kB\n');
  t.is(await availableMemoryMiB(meminfo), 14662);
  await writeFile(meminfo, 'MemTotal:       24683620 kB\n');
  await t.throwsAsync(availableMemoryMiB(meminfo), { instanceOf: HostError, message: `${meminfo} has no MemAvailable line` });
});

test('nodes that need more memory together than the host has are refused, naming a node too big alone', (t) => {
  t.notThrows(() => checkMemoryFits([node('a', 512), node('b', 512)], 1024));
  const many = t.throws(() => checkMemoryFits(Array.from({ length: 1000 }, (_, i) => node(`n${i}`, 512)), 14662), { instanceOf: HostError });
  t.is(many.message, 'the 1000 nodes need 500.0 GiB of memory together, and this host has 14.3 GiB available');
  t.regex(many.fix, /less memory \(defaults\.memory, or a node's memory\), use fewer nodes, or free memory/);
  const huge = t.throws(() => checkMemoryFits([node('small', 512), node('huge', 1024 * 1024)], 14662), { instanceOf: HostError });
  t.is(huge.message, 'the 2 nodes need 1024.5 GiB of memory together, huge alone 1024.0 GiB, and this host has 14.3 GiB available');
  // Under TCG each QEMU holds its translation cache too: two 512 MiB guests no longer fit in 1 GiB.
  const tcg = t.throws(() => checkMemoryFits([node('a', 512), node('b', 512)], 1024, 288), { instanceOf: HostError });
  t.is(tcg.message, "the 2 nodes need 1.6 GiB of memory together (QEMU's own 288 MiB each included), and this host has 1.0 GiB available");
});
