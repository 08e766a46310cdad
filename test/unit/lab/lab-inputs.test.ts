import test from 'ava';
import { inputsDifference, inputsKey, labInputs, type LabInputs } from '../../../src/lab/lab-inputs.js';
import { miniLab } from '../../support/mini-lab.js';

const inputs = (over: Partial<Parameters<typeof labInputs>[0]> = {}): LabInputs =>
  labInputs({ boot: 'install', lab: miniLab(), live: { key: 'live-1' }, disk: { key: 'disk-1' }, bins: { key: 'kube-1' }, images: [{ ref: 'b:1', digest: 'sha256:b' }, { ref: 'a:1', digest: 'sha256:a' }], ...over });

test('the key is the same for the same inputs, whatever the order they came in', (t) => {
  const reordered = inputs({ images: [{ ref: 'a:1', digest: 'sha256:a' }, { ref: 'b:1', digest: 'sha256:b' }] });
  t.is(inputsKey(inputs(), 'pki-1'), inputsKey(reordered, 'pki-1'));
  t.is(inputsKey(inputs(), 'pki-1'), inputsKey(JSON.parse(JSON.stringify(inputs())) as LabInputs, 'pki-1'));
});

test('the key changes with every input: lab file, images, Kubernetes build, boot mode, PKI', (t) => {
  const base = inputsKey(inputs(), 'pki-1');
  const lab = miniLab();
  lab.nodes[1]!.memoryMiB = 2048;
  const others = [
    inputsKey(inputs({ lab }), 'pki-1'),
    inputsKey(inputs({ live: { key: 'live-2' } }), 'pki-1'),
    inputsKey(inputs({ disk: { key: 'disk-2' } }), 'pki-1'),
    inputsKey(inputs({ bins: { key: 'kube-2' } }), 'pki-1'),
    inputsKey(inputs({ images: [{ ref: 'a:1', digest: 'sha256:c' }] }), 'pki-1'),
    inputsKey(inputs({ boot: 'live' }), 'pki-1'),
    inputsKey(inputs(), 'pki-2'),
  ];
  t.is(new Set([base, ...others]).size, others.length + 1);
});

test("the lab file's path is no input: a copy of the file elsewhere is the same lab", (t) => {
  const moved = { ...miniLab(), file: '/elsewhere/mini.yaml' };
  t.is(inputsKey(inputs({ lab: moved }), 'p'), inputsKey(inputs(), 'p'));
  t.is(inputsDifference(inputs(), inputs({ lab: moved })), undefined);
});

test('a difference is named by the input and the field, with both values', (t) => {
  const lab = miniLab();
  lab.nodes[1]!.memoryMiB = 2048;
  t.is(inputsDifference(inputs(), inputs({ lab })), 'lab file nodes[1].memoryMiB is 1536 in the snapshot, 2048 now');
  t.is(inputsDifference(inputs(), inputs({ live: { key: 'live-2' } })), 'live image is "live-1" in the snapshot, "live-2" now');
  t.is(inputsDifference(inputs(), inputs({ bins: { key: 'kube-2' } })), 'Kubernetes build is "kube-1" in the snapshot, "kube-2" now');
  t.is(inputsDifference(inputs(), inputs({ images: [{ ref: 'a:1', digest: 'sha256:a' }, { ref: 'b:1', digest: 'sha256:x' }] })), 'container image b:1 is "sha256:b" in the snapshot, "sha256:x" now');
  t.is(inputsDifference(inputs(), inputs({ boot: 'live' })), 'boot mode is "install" in the snapshot, "live" now');
});
