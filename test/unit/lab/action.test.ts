import test from 'ava';
import { runActions, type Action } from '../../../src/lab/action.js';
import { upActions } from '../../../src/lab/up.js';
import { loadLab } from '../../../src/spec/lab.js';
import type { StepRunner } from '../../../src/lab/steps.js';

/** A StepRunner that records each progress line as it starts and ends, and each info line. */
function recorder() {
  const lines: string[] = [];
  const steps: StepRunner = {
    async step(name, node, fn) {
      const label = node ? `${node} ${name}` : name;
      lines.push(`start ${label}`);
      try {
        const value = await fn();
        lines.push(`ok ${label}`);
        return value;
      } catch (err) {
        lines.push(`fail ${label}`);
        throw err;
      }
    },
    info: (m) => lines.push(`info ${m}`),
    activity: (m) => lines.push(`activity ${m}`),
  };
  return { lines, steps };
}

const act = (name: string, opts: Partial<Action<string[]>> = {}): Action<string[]> => ({
  name,
  execute: async (done) => void done.push(name),
  ...opts,
});

test('actions run in order under their progress lines; a group runs at once; a found line follows its step', async (t) => {
  const { lines, steps } = recorder();
  const done: string[] = [];
  let undone = false;
  await runActions([act('probe', { execute: async () => 'probe: found it' }), act('build'), [act('vm', { node: 'n1' }), act('vm', { node: 'n2' })]], done, {
    steps,
    undo: async () => void (undone = true),
  });
  t.deepEqual(done, ['build', 'vm', 'vm']);
  t.deepEqual(lines.slice(0, 5), ['start probe', 'ok probe', 'info probe: found it', 'start build', 'ok build']);
  t.deepEqual(lines.slice(5, 7), ['start n1 vm', 'start n2 vm'], 'the group starts together');
  t.false(undone);
});

test('a failure before anything was created undoes nothing; after, it undoes and rethrows', async (t) => {
  const boom = () => Promise.reject(new Error('boom'));
  for (const [actions, shouldUndo] of [
    [[act('check', { execute: boom }), act('files', { creates: true })], false],
    [[act('check'), act('files', { creates: true }), act('network', { execute: boom })], true],
  ] as const) {
    let undone = false;
    const { steps } = recorder();
    await t.throwsAsync(runActions(actions, [], { steps, undo: async () => void (undone = true) }), { message: 'boom' });
    t.is(undone, shouldUndo);
  }
});

test('an abort (Ctrl-C) stops before the next action, and undoes once something was created', async (t) => {
  const ctl = new AbortController();
  const { lines, steps } = recorder();
  let undone = false;
  const actions = [act('files', { creates: true, execute: async () => ctl.abort(new Error('interrupted')) }), act('network')];
  await t.throwsAsync(runActions(actions, [], { steps, signal: ctl.signal, undo: async () => void (undone = true) }), { message: 'interrupted' });
  t.false(lines.includes('start network'));
  t.true(undone);
});

test("up's actions are kind's create list: checks and builds, the lab's files, then what they define at once, and the VMs started last", async (t) => {
  const names = (list: ReturnType<typeof upActions>) => list.map((a) => ('name' in a ? a.name : a.map((n) => (n.node ? `${n.node} ${n.name}` : n.name)).join(' + ')));
  const created = ['network + boot server + disks and VMs', 'node1 power on + node2 power on'];
  t.deepEqual(names(upActions(await loadLab('mini'), 'live')), ['preflight', 'labos live image', 'lab files', ...created]);
  t.deepEqual(names(upActions(await loadLab('bootstrap'), 'install')), [
    'preflight', 'labos live image', 'labos disk image', 'kubernetes binaries', 'container images', 'lab files', ...created,
  ]);
});
