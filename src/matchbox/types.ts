/** Matchbox data-dir records, in the JSON shape Matchbox itself reads (groups/<id>.json, profiles/<id>.json). */

/** Matches machines (by request labels) to a profile. An empty selector matches every machine. */
export interface Group {
  id: string;
  name?: string;
  profile: string;
  selector?: Record<string, string>;
  metadata?: Record<string, unknown>;
}

/** Network boot settings: served as an iPXE script or GRUB config. */
export interface NetBoot {
  kernel: string;
  initrd?: string[];
  args?: string[];
}

/** What a matched machine boots and which configs it gets. */
export interface Profile {
  id: string;
  name?: string;
  boot?: NetBoot;
  /** File name under ignition/: `.ign`/`.ignition` served raw, anything else is a Container Linux Config template. */
  ignition_id?: string;
  /** File name under generic/: a template served as rendered text. */
  generic_id?: string;
  /** File name under cloud/ (kept for data-dir compatibility; the lab serves no cloud-config). */
  cloud_id?: string;
}

/** One line of the JSON-lines request log. */
export interface RequestLogEntry {
  /** ISO-8601 time the response finished. */
  time: string;
  /** Client IP address. */
  client: string;
  method: string;
  /** Request path without the query. */
  path: string;
  /** The raw query string ('' when none). The server always writes it. */
  query?: string;
  /** Labels as Matchbox derives them: first value per key, mac normalised, bad macs dropped. */
  labels: Record<string, string>;
  /** The group chosen, on endpoints that select one. */
  group?: string;
  /** The profile chosen, on endpoints that select one. */
  profile?: string;
  status: number;
  /** Response body bytes. The server always writes it. */
  bytes?: number;
  /** Time to answer, in milliseconds. The server always writes it. */
  ms?: number;
  /** Why a 404/500 was answered, when the reason is not simply "no such path". */
  error?: string;
}
