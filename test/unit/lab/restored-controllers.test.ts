import test from 'ava';
import { KCM_PROCESS } from '../../../src/lab/restored-controllers.js';

// pgrep/pkill -f match it (POSIX extended, as here) against each process's whole command line.
const matches = (cmdline: string) => new RegExp(KCM_PROCESS).test(cmdline);

test("the controller-manager's process is matched by its command line, the shell that kills it is not", (t) => {
  t.true(matches('/usr/local/bin/kube-controller-manager --allocate-node-cidrs=false --kubeconfig=/etc/kubernetes/kubeconfig/kubeconfig'));
  t.true(matches('kube-controller-manager --leader-elect=true'));
  t.false(matches(`sh -c n=$(pgrep -c -f '${KCM_PROCESS}'); sudo -n pkill -f '${KCM_PROCESS}'; echo "$n"`));
  t.false(matches(`sudo -n pkill -f ${KCM_PROCESS}`));
  t.false(matches('/usr/local/bin/kube-scheduler --kubeconfig=/etc/kubernetes/kubeconfig/kubeconfig'));
  t.false(matches('/usr/bin/kubelet --node-labels=role=kube-controller-manager-host'));
});
