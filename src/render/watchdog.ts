import { NODE_PATHS } from '../ground/cluster.js';
import { file, type IgnFile, type IgnUnit } from './ignition-files.js';

/** A node-side watchdog: a script at metal-lab-NAME and the service that keeps it running from boot. */
export interface Watchdog {
  name: string;
  description: string;
  script: string;
  /** More [Unit] lines (ordering). */
  unit?: string[];
  /** More [Service] lines. */
  service?: string[];
}

export function renderWatchdog(w: Watchdog): { files: IgnFile[]; units: IgnUnit[] } {
  const path = `${NODE_PATHS.bin}/metal-lab-${w.name}`;
  const contents = [
    '[Unit]',
    `Description=metal-lab: ${w.description}`,
    ...(w.unit ?? []),
    '',
    '[Service]',
    `ExecStart=${path}`,
    ...(w.service ?? []),
    // Its findings belong beside the fault's messages on the console the lab records.
    'StandardOutput=journal+console',
    'Restart=always',
    'RestartSec=10',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  return {
    files: [file(path, w.script, 0o755)],
    units: [{ name: `metal-lab-${w.name}.service`, enabled: true, contents }],
  };
}
