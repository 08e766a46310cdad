import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { HostError, LabError } from '../../../src/errors.js';
import { CommandError, runCommand, shellLine } from '../../../src/toolkit/command-error.js';
import { runLogged } from '../../../src/toolkit/logged-command.js';

const node = (script: string) => [process.execPath, '-e', script];

test('runCommand returns the output of a command that succeeds', async (t) => {
  const r = await runCommand(node('process.stdout.write("out"); process.stderr.write("err")'));
  t.is(r.exitCode, 0);
  t.is(r.stdout, 'out');
  t.is(r.stderr, 'err');
});

test('a failed command is a CommandError carrying argv, exit code and the tail of its output', async (t) => {
  const argv = node('console.log("progress"); for (let i = 1; i <= 5; i++) console.error("line " + i); process.exit(3)');
  const err = await t.throwsAsync(runCommand(argv, { what: 'building the thing' }), { instanceOf: CommandError });
  t.true(err instanceof LabError, 'the CLI prints it as one line with its fix');
  t.deepEqual(err.command, argv);
  t.is(err.commandExitCode, 3);
  t.is(err.signal, undefined);
  t.false(err.timedOut);
  t.is(err.stdout, 'progress');
  t.regex(err.stderr, /line 1\nline 2\nline 3\nline 4\nline 5$/);
  t.is(err.exitCode, 1, "metal-lab's own exit code stays LabError's");
  t.is(err.message, `building the thing: \`${shellLine(argv)}\` exited 3: line 3 | line 4 | line 5`);
  t.regex(err.fix, /by hand/);
});

test('only the last 4000 characters of a long output are kept', async (t) => {
  const err = await t.throwsAsync(runCommand(node('console.error("x".repeat(10000) + "END"); process.exit(1)')), { instanceOf: CommandError });
  t.is(err.stderr.length, 4000);
  t.true(err.stderr.endsWith('END'));
});

test('allowed exit codes are answers; any other is an error; a signal and a timeout say so', async (t) => {
  t.is((await runCommand(node('process.exit(1)'), { allowExit: [0, 1] })).exitCode, 1);
  t.is((await runCommand(node('process.exit(7)'), { allowExit: 'any' })).exitCode, 7);
  await t.throwsAsync(runCommand(node('process.exit(2)'), { allowExit: [0, 1] }), { instanceOf: CommandError, message: /exited 2/ });
  const killed = await t.throwsAsync(runCommand(node('process.kill(process.pid, "SIGKILL")')), { instanceOf: CommandError });
  t.is(killed.signal, 'SIGKILL');
  t.regex(killed.message, /was killed by SIGKILL/);
  const slow = await t.throwsAsync(runCommand(node('setTimeout(() => {}, 10000)'), { timeoutMs: 200 }), { instanceOf: CommandError });
  t.true(slow.timedOut);
  t.regex(slow.message, /timed out/);
});

test('a missing program is a HostError with the install fix', async (t) => {
  const err = await t.throwsAsync(runCommand(['metal-lab-no-such-tool', 'x'], { install: 'apt-get install it' }), { instanceOf: HostError });
  t.is(err.message, 'metal-lab-no-such-tool is not installed');
  t.is(err.fix, 'apt-get install it');
});

test('the fix and input options reach the command and the error', async (t) => {
  t.is((await runCommand(node('process.stdin.pipe(process.stdout)'), { input: 'fed' })).stdout, 'fed');
  const err = await t.throwsAsync(runCommand(node('process.exit(1)'), { fix: 'do this' }), { instanceOf: CommandError });
  t.is(err.fix, 'do this');
  t.regex(err.message, /exited 1: \(no output\)$/);
});

test('shellLine quotes what a shell would split, and cuts long lines', (t) => {
  t.is(shellLine(['apt-get', '-o', 'Dir::State=/x y', "it's"]), `apt-get -o 'Dir::State=/x y' 'it'\\''s'`);
  t.is(shellLine(['a'.repeat(400)]).length, 300);
});

test('runLogged streams every line into the log and fails pointing at it', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'logged-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const logFile = path.join(dir, 'build.log');
  const seen: string[] = [];
  const ok = await runLogged(node('console.log("stage: one"); console.error("warn"); console.log("done")'), { logFile, onLine: (l) => seen.push(l) });
  t.deepEqual(seen.sort(), ['done', 'stage: one', 'warn']);
  t.deepEqual((await readFile(logFile, 'utf8')).split('\n').filter(Boolean).sort(), ['done', 'stage: one', 'warn']);
  t.deepEqual(ok.stdout.split('\n').sort(), ['done', 'stage: one', 'warn'], 'the output is the result');

  const err = await t.throwsAsync(runLogged(node('console.error("compiling"); console.error("fatal: no space"); process.exit(2)'), { logFile, what: 'building X' }), { instanceOf: CommandError });
  t.is(err.commandExitCode, 2);
  t.regex(err.message, /^building X: .* exited 2: compiling \| fatal: no space$/);
  t.is(err.fix, `read the whole log at ${logFile}`);
});
