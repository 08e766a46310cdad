import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SourceFile } from '../../src/images/fluo-source.js';
import type { Need } from './needs.js';

/** The offline copy of FLUO v0.9.0's source beside the repository (../shared/upstream): tests never download it. */
const file = fileURLToPath(new URL('../../../shared/upstream/flatcar-linux-update-operator-0.9.0.tar.gz', import.meta.url));

export const SHARED_FLUO_SOURCE: SourceFile = { file, origin: `--fluo-source ${file}` };

export const fluoSource: Need = {
  what: `FLUO v0.9.0's source tarball (${file})`,
  fix: 'put the v0.9.0 tarball of github.com/flatcar/flatcar-linux-update-operator there',
  present: () => existsSync(file),
};
