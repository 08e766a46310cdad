import test from 'ava';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { toJUnit } from '../../../src/report/junit.js';
import { Timeline, type TimelineDoc } from '../../../src/report/timeline.js';

/** A two-node pxe-boot run on a hand-driven clock: 4 cases, 1 failure, 1 skip. */
function pxeBootRun(): TimelineDoc {
  let now = 0;
  const tl = new Timeline('mini', 'pxe-boot', { now: () => now, startedAt: new Date('2024-05-01T10:00:00.000Z') });
  tl.record('step-start', 'boot server up');
  now += 400;
  tl.record('step-ok', 'boot server up');
  tl.record('info', 'run', { message: 'accelerator: tcg (no vmx/svm flag)' });
  tl.record('step-start', 'dhcp lease', { node: 'node1' });
  tl.record('step-start', 'dhcp lease', { node: 'node2' });
  now += 3200;
  tl.record('step-ok', 'dhcp lease', { node: 'node1', message: '172.19.0.21' });
  now += 296_800;
  tl.record('step-fail', 'dhcp lease', {
    node: 'node2',
    // Serial consoles leak escape codes into messages; XML 1.0 cannot carry them.
    message: 'no DHCP lease within 300s\u001B[0m\nlast request: none',
    evidence: ['/a/console/node2.log', '/a/leases'],
    data: { error: 'LabError' },
  });
  tl.record('step-skip', 'install', { node: 'node2', message: 'no lease' });
  now += 100;
  return tl.finish();
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) });

test('JUnit XML is well formed and counts tests, failures, skips and time', (t) => {
  const xml = toJUnit([pxeBootRun()]);
  t.true(XMLValidator.validate(xml) === true, String(JSON.stringify(XMLValidator.validate(xml))));
  const { testsuites } = parser.parse(xml);
  t.like(testsuites, { name: 'metal-lab', tests: '4', failures: '1', errors: '0', skipped: '1', time: '300.500' });
  t.is(testsuites.testsuite.length, 1);
  const suite = testsuites.testsuite[0];
  t.like(suite, { name: 'pxe-boot', tests: '4', failures: '1', errors: '0', skipped: '1', time: '300.500', timestamp: '2024-05-01T10:00:00' });
  t.deepEqual(suite.properties.property, [{ name: 'lab', value: 'mini' }]);
  t.deepEqual(
    suite.testcase.map((c: Record<string, string>) => [c.name, c.classname, c.time]),
    [
      ['boot server up', 'mini.pxe-boot', '0.400'],
      ['dhcp lease [node1]', 'mini.pxe-boot', '3.200'],
      ['dhcp lease [node2]', 'mini.pxe-boot', '300.000'],
      ['install [node2]', 'mini.pxe-boot', '0.000'],
    ],
  );
  t.true(suite['system-out'].includes('info: accelerator: tcg (no vmx/svm flag)'));
});

test('a failure carries its message, type and evidence paths; a skip its reason', (t) => {
  const { testsuites } = parser.parse(toJUnit([pxeBootRun()]));
  const [ok, , failed, skipped] = testsuites.testsuite[0].testcase;
  t.is(ok.failure, undefined);
  t.is(failed.failure.type, 'LabError');
  t.is(failed.failure.message, 'no DHCP lease within 300s\uFFFD[0m', 'first line only, invalid char replaced');
  t.regex(failed.failure['#text'], /evidence: \/a\/console\/node2\.log\nevidence: \/a\/leases/);
  t.is(failed['system-out'], '[[ATTACHMENT|/a/console/node2.log]]\n[[ATTACHMENT|/a/leases]]');
  t.is(skipped.skipped.message, 'no lease');
});

test('several scenario runs become several suites with summed totals; an unfinished step fails', (t) => {
  let now = 0;
  const crashed = new Timeline('mini', 'reinstall', { now: () => now });
  crashed.record('step-start', 'reboot', { node: 'node1' });
  now += 2000;
  crashed.record('warn', 'run', { message: 'node1 console went quiet' });
  const { testsuites } = parser.parse(toJUnit([pxeBootRun(), crashed.toJSON()]));
  t.like(testsuites, { tests: '5', failures: '2', skipped: '1', time: '302.500' });
  const suite = testsuites.testsuite[1];
  t.like(suite, { name: 'reinstall', id: '1', tests: '1', failures: '1', time: '2.000' }, 'an unfinished run lasts until its last event');
  t.is(suite.testcase[0].failure.message, 'step never finished');
});
