import type { Command } from 'commander';
import type { CliContext } from './context.js';

export function registerReport(program: Command, { print }: CliContext): void {
  program
    .command('report')
    .description("rebuild a run's report.html (timeline, checks, evidence, artifacts) from its artifacts dir")
    .argument('<dir>', 'the artifacts dir of a run (metal-lab run --artifacts DIR)')
    .action(async (dir: string) => {
      const { writeHtmlReport } = await import('../html-report/write-report.js');
      // The path alone on stdout: `xdg-open "$(metal-lab report DIR)"`.
      print(await writeHtmlReport(dir));
    });
}
