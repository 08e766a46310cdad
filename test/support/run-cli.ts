import { PassThrough, Readable } from 'node:stream';
import { runMetalLab } from '../../src/cli/run.js';

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * `metal-lab ARGS...` run in the test's own thread, with `env` over the test's environment and
 * nothing on stdin; its output as execa gives a child's (the final newline dropped). A child
 * process would cost ~1 s of CPU for Node and tsx before the command even starts.
 */
export async function metalLab(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  const text = (stream: PassThrough) => stream.setEncoding('utf8').toArray().then((parts) => parts.join('').replace(/\n$/, ''));
  const [out, err] = [text(stdout), text(stderr)];
  const exitCode = await runMetalLab(args, { env: { ...process.env, ...env }, stdin: Readable.from([]), stdout, stderr });
  stdout.end();
  stderr.end();
  return { exitCode, stdout: await out, stderr: await err };
}
