import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SpecError } from '../errors.js';
import { validateYaml } from './validate.js';

/** Per-node assertions a scenario can make; the runner implements every one of them. */
export const CHECK_NAMES = ['dhcp-lease', 'boot-chain', 'userspace'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** Boot stages a scenario can wait for, read off the boot server's request log. */
export const WAIT_STAGES = ['userspace'] as const;

export type ScenarioStep =
  | { kind: 'up' }
  | { kind: 'wait'; stage: (typeof WAIT_STAGES)[number]; timeoutS: number }
  | { kind: 'check'; check: CheckName };

export interface ScenarioSpec {
  name: string;
  description?: string;
  /** The lab it runs on unless the user names another: a short name from lab/ or a path. */
  lab: string;
  file: string;
  steps: ScenarioStep[];
}

const duration = z
  .string()
  .regex(/^\d+(s|m)$/, { message: 'not a duration: write seconds or minutes, e.g. 90s or 5m' })
  .transform((d) => Number(d.slice(0, -1)) * (d.endsWith('m') ? 60 : 1));

/**
 * A step is `up`, `{wait: <stage>, timeout: 90s}` or `{check: <name>}`. Bare words become
 * `{word: true}` so every step is one strict object: a typo then gets "unknown field" or
 * "did you mean", where a union would only say "invalid input".
 */
const Step = z
  .preprocess(
    (v) => (typeof v === 'string' ? { [v]: true } : v),
    z.strictObject({
      up: z.literal(true).optional(),
      wait: z.enum(WAIT_STAGES).optional(),
      timeout: duration.optional(),
      check: z.enum(CHECK_NAMES).optional(),
    }),
  )
  .superRefine((s, ctx) => {
    const kinds = (['up', 'wait', 'check'] as const).filter((k) => s[k] !== undefined);
    if (kinds.length !== 1) ctx.addIssue({ code: 'custom', message: `a step is exactly one of up, wait, check (got ${kinds.join(', ') || 'none'})`, path: [] });
    if (s.timeout !== undefined && !s.wait) ctx.addIssue({ code: 'custom', message: 'timeout belongs to a wait step', path: ['timeout'] });
  })
  .transform((s): ScenarioStep => {
    if (s.wait) return { kind: 'wait', stage: s.wait, timeoutS: s.timeout ?? 60 };
    if (s.check) return { kind: 'check', check: s.check };
    return { kind: 'up' };
  });

const ScenarioFile = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  description: z.string().optional(),
  lab: z.string().min(1),
  steps: z.array(Step).min(1),
});

const FORMS = {
  name: 'a lower-case name such as pxe-boot',
  lab: 'a lab name from lab/ (mini, talk) or a lab file path',
  steps: `a list of steps: up, {wait: ${WAIT_STAGES.join('|')}, timeout: 60s}, {check: ${CHECK_NAMES.join('|')}}`,
};

/** The repository's scenarios/ directory, from src/spec or dist/spec alike. */
const SCENARIO_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

export function resolveScenarioFile(nameOrPath: string): string {
  return /^[a-z][a-z0-9-]*$/.test(nameOrPath) ? path.join(SCENARIO_DIR, `${nameOrPath}.yaml`) : path.resolve(nameOrPath);
}

export function parseScenario(text: string, file: string): ScenarioSpec {
  const { data } = validateYaml(text, file, ScenarioFile, FORMS);
  return { ...data, file: path.resolve(file) };
}

export async function loadScenario(file: string): Promise<ScenarioSpec> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new SpecError(file, '', 'no such scenario file', 'pass a scenario file path or a name from scenarios/ (e.g. pxe-boot)');
  });
  return parseScenario(text, path.relative(process.cwd(), file) || file);
}
