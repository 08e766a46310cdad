import test from 'ava';
import { columns } from '../../../src/cli/columns.js';

test('columns: an upper-case header, each column as wide as its widest cell, the last one unpadded', (t) => {
  t.is(
    columns(['node', 'state', 'last boot request'], [['node1', 'running', '/ignition 200 06:02:36'], ['node10', 'shut off', '-']]),
    ['NODE     STATE      LAST BOOT REQUEST', 'node1    running    /ignition 200 06:02:36', 'node10   shut off   -'].join('\n'),
  );
  // A row that says what is wrong instead of its fields (a snapshot that cannot be read) ends early.
  t.is(columns(['lab', 'snapshot', 'saved', 'size'], [['mini', 'broken', 'state.json is not JSON']]), ['LAB    SNAPSHOT   SAVED                    SIZE', 'mini   broken     state.json is not JSON'].join('\n'));
});
