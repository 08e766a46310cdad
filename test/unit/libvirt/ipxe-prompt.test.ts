import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { passIpxePrompt } from '../../../src/libvirt/ipxe-prompt.js';

// A virsh first on PATH that notes its arguments: what passIpxePrompt asks of libvirt, and when.
// A node script: the bare unit tier (test/unit-bare.sh) has no /bin/sh.
const dir = await mkdtemp(path.join(os.tmpdir(), 'ml-ipxe-prompt-'));
const calls = path.join(dir, 'calls');
const fakeVirsh = `#!${process.execPath}\nrequire('node:fs').appendFileSync(${JSON.stringify(calls)}, process.argv.slice(2).join(' ') + '\\n');\n`;
await writeFile(path.join(dir, 'virsh'), fakeVirsh, { mode: 0o755 });
process.env.PATH = `${dir}${path.delimiter}${process.env.PATH}`;
test.after.always(() => rm(dir, { recursive: true, force: true }));

const FIRMWARE = 'SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\nBooting from ROM...\r\niPXE initialising devices...ok\r\n';
const PROMPT = 'Press Ctrl-B for the iPXE command line...';
const called = () => readFile(calls, 'utf8').catch(() => '');

test.serial('Enter is pressed once the prompt is on the console, not before', async (t) => {
  const log = path.join(dir, 'late.log');
  await writeFile(log, FIRMWARE);
  const pressing = passIpxePrompt('ml-x-node1', log);
  await new Promise((r) => setTimeout(r, 300));
  t.is(await called(), '', 'no key before the prompt');
  await appendFile(log, PROMPT);
  t.true(await pressing);
  t.regex(await called(), /^-c \S+ send-key ml-x-node1 KEY_ENTER\n$/);
});

test.serial('a boot past the prompt, or one from disk, gets no key', async (t) => {
  await rm(calls, { force: true });
  const boots: Array<[string, string]> = [['dhcp', `${FIRMWARE}Configuring (net0 52:54:00:a1:9c:ae)... ok\r\n`], ['grub', 'Booting from Hard Disk...\r\nGRUB loading.\r\n']];
  for (const [name, text] of boots) {
    const log = path.join(dir, `${name}.log`);
    await writeFile(log, text);
    t.false(await passIpxePrompt('ml-x-node1', log), name);
  }
  t.is(await called(), '');
});

test.serial('a prompt that never shows is given up on quietly', async (t) => {
  await rm(calls, { force: true });
  t.false(await passIpxePrompt('ml-x-node1', path.join(dir, 'missing.log'), { withinMs: 300 }));
  t.is(await called(), '');
});
