import { LabError } from '../errors.js';

/**
 * How a labos release and its channel are named: what `release publish` and a scenario's
 * `publish` step accept, checked before anything is built or written (bad input: exit 2).
 */

const bad = (problem: string, fix: string) => new LabError(problem, fix, 2);

/** semver's MAJOR.MINOR.PATCH[-PRERELEASE]; no +BUILD, since the version is in the payload's name and '+' is not a name the engine takes. */
const VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
/** A channel is a dir name and a URL segment the engine quotes: nothing there needs quoting. */
const CHANNEL = /^[a-z0-9][a-z0-9._-]*$/;

export function checkVersion(version: string | undefined): asserts version is string {
  if (!version) throw bad('no release version given', 'pass --version, e.g. --version 2.0.0');
  if (!VERSION.test(version)) {
    throw bad(`version ${JSON.stringify(version)} is not MAJOR.MINOR.PATCH`, 'pass a version such as 2.0.0 or 2.1.0-rc.1');
  }
}

export function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel)) {
    throw bad(
      `channel ${JSON.stringify(channel)} is not a channel name`,
      "use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. stable, beta)",
    );
  }
}
