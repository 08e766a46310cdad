import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderPage } from './page.js';
import { readRunModel, REPORT_FILE } from './run-model.js';

/** (Re)writes report.html in a run's artifacts dir from what the dir holds; returns its path. */
export async function writeHtmlReport(artifactsDir: string): Promise<string> {
  const file = path.join(path.resolve(artifactsDir), REPORT_FILE);
  await writeFile(file, renderPage(await readRunModel(artifactsDir)));
  return file;
}
