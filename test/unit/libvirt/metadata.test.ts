import test from 'ava';
import { labIdFromXml } from '../../../src/libvirt/metadata.js';

test('lab id from metadata, whatever the prefix, quotes or attribute order', (t) => {
  t.is(labIdFromXml('<metadata>\n  <ml:lab xmlns:ml="https://metal-lab.dev/xmlns/lab/1" id="mini" node="node1"/>\n</metadata>'), 'mini');
  t.is(labIdFromXml("<metadata><x:lab id='side' xmlns:x='https://metal-lab.dev/xmlns/lab/1'/></metadata>"), 'side');
  t.is(labIdFromXml('<metadata><other:lab xmlns:other="https://example.org/x" id="mini"/></metadata>'), undefined);
  t.is(labIdFromXml('<network><name>default</name></network>'), undefined);
});
