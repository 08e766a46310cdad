import test from 'ava';
import { readRunModel } from '../../../src/html-report/run-model.js';
import { renderPage } from '../../../src/html-report/page.js';
import { runFixtureDir } from '../../support/run-fixtures.js';

/** The values of one attribute over the page, in order. */
const attrs = (html: string, name: string) => [...html.matchAll(new RegExp(`\\s${name}="([^"]*)"`, 'g'))].map((m) => m[1]!);

test('a failed step is a red bar that links to its evidence: the console log, its last lines and the node\'s last requests', async (t) => {
  const model = await readRunModel(runFixtureDir('etcd-install-timeout'));
  const html = renderPage(model);
  t.deepEqual(model.failures.map((f) => [f.check, f.result.node]), [[11, 'node1'], [12, 'node2'], [13, 'node3']]);
  t.regex(html, /<a href="#fail-11"><g class="bar step fail" data-kind="step" data-label="reached installed" data-node="node1" data-outcome="fail"/);
  const section = html.slice(html.indexOf('<section class="failure" id="fail-11">'), html.indexOf('</section>', html.indexOf('id="fail-11"')));
  t.regex(section, /timed out after 720s waiting for node1 to reach installed/);
  t.regex(section, /<a href="console\/node1\.log">console\/node1\.log<\/a> <small>\(\/var\/lib\/metal-lab\/labs\/etcd\/console\/node1\.log\)<\/small>/);
  t.regex(section, /<li>last request \/assets\/labos-live\/initrd\.img -&#62; 200 at 2026-11-28T08:59:16\.000Z<\/li>/);
  t.regex(section, /Last lines of <a href="console\/node1\.log">console\/node1\.log<\/a>:<\/p><pre class="tail"><span>[^]*Next server: 172\.26\.0\.1/);
  t.regex(section, /node1's last requests in <a href="matchbox-requests\.jsonl">/);
  t.regex(section, /GET \/assets\/labos-live\/initrd\.img<\/td><td class="num">200</);
  const node2 = html.slice(html.indexOf('id="fail-12"'));
  t.regex(node2, /<a href="journal\/node2\.log">journal\/node2\.log<\/a> <small>\(the node's journal\)/);
  // The checks table links the failure to its evidence and back.
  t.regex(html, /<tr id="check-11" class="fail">.*<a href="#fail-11">evidence<\/a>/);
});

test('the page links every artifact relatively, and nothing in it is fetched: no script, no remote URL', async (t) => {
  const model = await readRunModel(runFixtureDir('update-interrupted'));
  const html = renderPage(model);
  const links = attrs(html, 'href');
  for (const f of model.files) t.true(links.includes(f.path), f.path);
  t.true(model.files.some((f) => f.path === 'rollout-timeline.txt'));
  t.false(model.files.some((f) => f.path === 'report.html'), 'the report does not list itself');
  t.deepEqual(links.filter((l) => /^[a-z]+:/i.test(l)), ['data:,'], 'only the empty favicon is a URL');
  t.deepEqual(attrs(html, 'src'), []);
  t.notRegex(html, /<script|@import|url\(/i);
  t.regex(html, /<g class="bar reboot ok" data-kind="reboot" data-label="update reboot 1\.0\.0 → 2\.0\.0" data-node="node2"/);
});

test('text from the run is escaped wherever it lands: a message, a step or node name cannot open markup', async (t) => {
  const model = await readRunModel(runFixtureDir('update-interrupted'));
  const evil = '<script>alert("x")</script> & \'quoted\'';
  const failure = model.failures[0]!;
  Object.assign(failure.result, { message: evil, node: 'node"1<b>', step: 'rollout <i>done</i>' });
  failure.evidence = [{ text: evil }];
  model.doc.events.push({ t: model.doc.startedAt, ms: 5, kind: 'warn', step: 'run', message: evil });
  for (const lane of model.lanes) for (const bar of lane.rows.flat()) if (bar.check === failure.check) Object.assign(bar, { detail: evil, label: 'rollout <i>done</i>', node: 'node"1<b>' });
  const html = renderPage(model);
  t.notRegex(html, /<script>|<i>done|<b>/);
  t.regex(html, /&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62; &#38; &#39;quoted&#39;/);
  t.regex(html, /data-node="node&#34;1&#60;b&#62;"/);
});
