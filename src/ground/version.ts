import { readFileSync } from 'node:fs';

/** metal-lab's own version, package.json's: src/ground and dist/ground both sit two levels below it. */
export const METAL_LAB_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
