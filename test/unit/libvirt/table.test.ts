import test from 'ava';
import { tableRows } from '../../../src/libvirt/table.js';

test('table rows: a two-word state stays in its cells', (t) => {
  const out = ' Id   Name            State\n--------------------------------\n 3    ml-mini-node1   running\n -    ml-mini-node2   shut off\n\n';
  t.deepEqual(tableRows(out), [['3', 'ml-mini-node1', 'running'], ['-', 'ml-mini-node2', 'shut', 'off']]);
});
