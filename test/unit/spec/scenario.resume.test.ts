import test from 'ava';
import { SpecError } from '../../../src/errors.js';
import { loadLab } from '../../../src/spec/lab.js';
import { flatSteps, loadScenario, parseScenario, resolveScenarioFile } from '../../../src/spec/scenario.js';
import { checkScenarioLab } from '../../../src/spec/scenario-lab.js';
import { recipeKey } from '../../../src/scenario/resume.js';

/** `resume: NAME` with the steps that make it: parsed into one step, and held to its rules at load. */

const bootstrap = await loadLab('lab/bootstrap.yaml');
const RECIPE = '    steps:\n      - up: { boot: install }\n      - wait: ssh\n      - copy-secrets\n      - bootstrap\n';
const parse = (steps: string) => parseScenario(`name: x\nlab: bootstrap\nsteps:\n${steps}`, 's.yaml');

function refused(steps: string): string {
  try {
    checkScenarioLab(parse(steps), bootstrap);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    if (err.exitCode !== 2) throw new Error(`exit ${err.exitCode}`);
    return err.line();
  }
  throw new Error('accepted');
}

test('a resume carries its steps, and its timeout is for the restored lab\'s health', (t) => {
  const s = parse(`  - resume: bootstrapped\n    timeout: 3m\n${RECIPE}  - check: self-hosted\n`);
  t.deepEqual(s.steps[0], {
    kind: 'resume',
    snapshot: 'bootstrapped',
    timeoutS: 180,
    steps: [{ kind: 'up', boot: 'install' }, { kind: 'wait', stage: 'ssh', timeoutS: 60 }, { kind: 'copy-secrets' }, { kind: 'bootstrap', timeoutS: 1200 }],
  });
  t.notThrows(() => checkScenarioLab(s, bootstrap));
  t.deepEqual(flatSteps(s.steps).map((f) => f.at), ['steps[0].steps[0]', 'steps[0].steps[1]', 'steps[0].steps[2]', 'steps[0].steps[3]', 'steps[1]']);
});

test('checks after a resume may read the API its steps bootstrapped', (t) => {
  t.notThrows(() => checkScenarioLab(parse(`  - resume: bootstrapped\n${RECIPE}  - wait: node-ready\n`), bootstrap));
});

test('a resume without steps, steps without a resume, a bad name: one line each', (t) => {
  t.regex(refused('  - resume: bootstrapped\n'), /steps\[0\]\.steps: resume: bootstrapped needs the steps that make the snapshot.*Fix: add steps:/);
  t.regex(refused('  - up: true\n    steps: [up]\n'), /steps belongs to a resume step/);
  t.regex(refused(`  - resume: Boot Strapped\n${RECIPE}`), /steps\[0\]\.resume: snapshot name "Boot Strapped" is not a plain name/);
});

test('a resume comes first, is not nested, and its steps start with up', (t) => {
  t.regex(refused(`  - up\n  - resume: later\n${RECIPE}`), /steps\[1\]\.resume: resume: later brings the lab to where the scenario starts, so it comes first\. Fix: move it to the top/);
  t.regex(refused('  - resume: outer\n    steps:\n      - up\n      - resume: inner\n        steps: [up]\n'), /steps\[0\]\.steps\[1\]\.resume: a resume inside a resume/);
  t.regex(refused('  - resume: bootstrapped\n    steps:\n      - wait: ssh\n'), /steps\[0\]\.steps\[0\]: the steps that make snapshot bootstrapped start from nothing, so they start with up/);
});

test("a resume's own steps are checked against the lab like any step, by their path", (t) => {
  t.regex(refused('  - resume: s\n    steps:\n      - up: { boot: install }\n      - wait: ssh\n        nodes: [node9]\n'), /steps\[0\]\.steps\[1\]\.nodes\[0\]: node node9 is not in lab bootstrap/);
  t.regex(refused('  - resume: s\n    steps:\n      - up: { boot: install }\n      - check: self-hosted\n'), /steps\[0\]\.steps\[1\]\.check: self-hosted reads the Kubernetes API/);
});

test('the recipe key follows the steps, not the YAML around them', (t) => {
  const a = parse(`  - resume: bootstrapped\n${RECIPE}`).steps[0];
  const b = parse(`  # a comment\n  - resume: bootstrapped\n    steps: [{up: {boot: install}}, {wait: ssh, timeout: 60s}, copy-secrets, bootstrap]\n`).steps[0];
  const c = parse('  - resume: bootstrapped\n    steps: [{up: {boot: install}}, {wait: ssh, timeout: 90s}, copy-secrets, bootstrap]\n').steps[0];
  const key = (s: typeof a) => recipeKey(s!.kind === 'resume' ? s!.steps : []);
  t.is(key(a), key(b));
  t.not(key(a), key(c));
});

test('the bootstrap, update and Kubernetes faults scenarios share one snapshot: the same lab, name and steps', async (t) => {
  const [bootstrap, ...others] = await Promise.all(['bootstrap', 'update', 'faults-kubernetes'].map((name) => loadScenario(resolveScenarioFile(name))));
  const resumeOf = (s: typeof bootstrap) => (s!.steps[0]!.kind === 'resume' ? s!.steps[0]! : undefined);
  t.is(resumeOf(bootstrap)?.snapshot, 'bootstrapped');
  for (const other of others) {
    t.is(other!.lab, bootstrap!.lab, other!.name);
    t.is(resumeOf(other)?.snapshot, 'bootstrapped', other!.name);
    t.is(recipeKey(resumeOf(other)!.steps), recipeKey(resumeOf(bootstrap)!.steps), other!.name);
  }
});
