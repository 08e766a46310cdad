/**
 * Container Linux Config (YAML) -> Ignition 2.2.0 JSON, as Matchbox v0.7 does for ignition/
 * files that are not `.ign`/`.ignition`: it renders them as templates, then runs the
 * config transpiler (ct) of its era and json.Marshals the result.
 *
 * Covered: systemd units (+dropins), networkd units, storage files (inline or remote), directories
 * and links, passwd users and groups, ignition timeouts. Sections that ct would expand into extra
 * units or disk layouts (etcd, flannel, docker, update, locksmith, disks, raid, filesystems,
 * ignition config/security, users' `create`) are refused with a ClcError rather than half-converted.
 * Output bytes follow Go: struct field order, omitempty, HTML-safe string escapes, ct's default modes.
 */
import { Document, Scalar, YAMLMap, YAMLSeq, parseDocument } from 'yaml';
import { goJsonString } from './gofmt.js';

export class ClcError extends Error {}

type Y = unknown; // Scalar | YAMLMap | YAMLSeq | null

const UNIT_TYPES = ['.service', '.socket', '.device', '.mount', '.automount', '.swap', '.target', '.path', '.timer', '.snapshot', '.slice', '.scope'];
const NETWORKD_TYPES = ['.link', '.netdev', '.network'];
const UNSUPPORTED_TOP = ['etcd', 'flannel', 'docker', 'update', 'locksmith'];

// YAML 1.1 scalar resolution as go-yaml v2 does it.
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const TRUES = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSES = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);

function isNull(v: Y): boolean {
  return v === null || v === undefined || (v instanceof Scalar && v.type === 'PLAIN' && NULLS.has(String(v.value)));
}

function where(path: string): string {
  return path ? ` at ${path}` : '';
}

function str(v: Y, path: string): string {
  if (isNull(v)) return '';
  if (v instanceof Scalar) return String(v.value);
  throw new ClcError(`expected a string${where(path)}`);
}

function int(v: Y, path: string): number | undefined {
  if (isNull(v)) return undefined;
  if (v instanceof Scalar && v.type === 'PLAIN') {
    const s = String(v.value).replace(/_/g, '');
    const m = /^([-+]?)(0b[01]+|0x[0-9a-fA-F]+|0[0-7]+|[0-9]+)$/.exec(s);
    if (m) {
      const body = m[2]!;
      const n = body.startsWith('0b') ? parseInt(body.slice(2), 2) : body.startsWith('0x') ? parseInt(body.slice(2), 16) : body.length > 1 && body.startsWith('0') ? parseInt(body, 8) : parseInt(body, 10);
      return m[1] === '-' ? -n : n;
    }
  }
  throw new ClcError(`expected an integer${where(path)}`);
}

function bool(v: Y, path: string): boolean | undefined {
  if (isNull(v)) return undefined;
  if (v instanceof Scalar && v.type === 'PLAIN') {
    if (TRUES.has(String(v.value))) return true;
    if (FALSES.has(String(v.value))) return false;
  }
  throw new ClcError(`expected true or false${where(path)}`);
}

/** A mapping's children by key (later duplicates win, as in go-yaml); null reads as empty. */
function map(v: Y, path: string): Map<string, Y> {
  const out = new Map<string, Y>();
  if (isNull(v)) return out;
  if (!(v instanceof YAMLMap)) throw new ClcError(`expected a mapping${where(path)}`);
  for (const pair of v.items) out.set(str(pair.key as Y, path), pair.value as Y);
  return out;
}

function seq(v: Y, path: string): Y[] {
  if (isNull(v)) return [];
  if (!(v instanceof YAMLSeq)) throw new ClcError(`expected a list${where(path)}`);
  return v.items as Y[];
}

function refuse(m: Map<string, Y>, keys: string[], path: string): void {
  for (const key of keys) {
    const v = m.get(key);
    if (v !== undefined && !isNull(v) && !(v instanceof YAMLMap && v.items.length === 0) && !(v instanceof YAMLSeq && v.items.length === 0)) {
      throw new ClcError(`${path ? `${path}.` : ''}${key} is not supported by metal-lab's transpiler; write a raw .ign file instead`);
    }
  }
}

/** dataurl.Escape: everything but [A-Za-z0-9-_.!~*'()] as %XX. */
function dataUrl(text: string): string {
  let out = 'data:,';
  for (const b of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.!~*'()]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

type Obj = { [k: string]: J };
type J = string | number | boolean | J[] | Obj | undefined;

/** json.Marshal of ordered objects (undefined fields are the omitted omitempty ones). */
function goJson(v: J): string {
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v as Obj)) if (x !== undefined) parts.push(`${goJsonString(k)}:${goJson(x)}`);
  return `{${parts.join(',')}}`;
}

const omitEmpty = <T>(list: T[]): T[] | undefined => (list.length > 0 ? list : undefined);
const omitFalse = (b: boolean | undefined): true | undefined => (b ? true : undefined);
const omitBlank = (s: string): string | undefined => (s === '' ? undefined : s);

function nodeOwner(v: Y, path: string): Obj | undefined {
  if (v === undefined || isNull(v)) return undefined;
  const m = map(v, path);
  const id = int(m.get('id'), `${path}.id`);
  const name = str(m.get('name'), `${path}.name`);
  if (id !== undefined && name !== '') throw new ClcError(`${path}: set either id or name, not both`);
  return { id, name: omitBlank(name) };
}

function node(m: Map<string, Y>, path: string): Obj {
  const filesystem = str(m.get('filesystem'), `${path}.filesystem`);
  const p = str(m.get('path'), `${path}.path`);
  if (filesystem === '') throw new ClcError(`${path}: no filesystem specified`);
  if (!p.startsWith('/')) throw new ClcError(`${path}: path ${JSON.stringify(p)} is not absolute`);
  return {
    filesystem,
    group: nodeOwner(m.get('group'), `${path}.group`),
    overwrite: bool(m.get('overwrite'), `${path}.overwrite`),
    path: p,
    user: nodeOwner(m.get('user'), `${path}.user`),
  };
}

function mode(v: Y, fallback: number, path: string): number {
  const m = int(v, path) ?? fallback;
  if (m < 0 || m > 0o7777) throw new ClcError(`${path}: illegal file mode`);
  return m;
}

function verification(v: Y, path: string): Obj {
  const hash = map(map(v, path).get('hash'), `${path}.hash`);
  const fn = str(hash.get('function'), `${path}.hash.function`);
  const sum = str(hash.get('sum'), `${path}.hash.sum`);
  return { hash: fn || sum ? `${fn}-${sum}` : undefined };
}

function file(v: Y, path: string): Obj {
  const m = map(v, path);
  const contents = map(m.get('contents'), `${path}.contents`);
  const remote = map(contents.get('remote'), `${path}.contents.remote`);
  const inline = str(contents.get('inline'), `${path}.contents.inline`);
  const url = str(remote.get('url'), `${path}.contents.remote.url`);
  if (str(contents.get('local'), `${path}.contents.local`) !== '') throw new ClcError(`${path}: local contents need ct's --files-dir, which Matchbox does not set`);
  if (inline !== '' && url !== '') throw new ClcError(`${path}: only one of inline and remote.url can be set`);
  const source = url !== '' ? url : inline !== '' ? dataUrl(inline) : 'data:,';
  return {
    ...node(m, path),
    append: omitFalse(bool(m.get('append'), `${path}.append`)),
    contents: {
      compression: omitBlank(str(remote.get('compression'), `${path}.contents.remote.compression`)),
      source,
      verification: verification(remote.get('verification'), `${path}.contents.remote.verification`),
    },
    mode: mode(m.get('mode'), 0o644, `${path}.mode`),
  };
}

function unit(v: Y, path: string, types: string[]): { m: Map<string, Y>; name: string } {
  const m = map(v, path);
  const name = str(m.get('name'), `${path}.name`);
  if (!types.some((t) => name.endsWith(t))) throw new ClcError(`${path}: invalid unit name ${JSON.stringify(name)}`);
  return { m, name };
}

function systemdUnit(v: Y, path: string): Obj {
  const { m, name } = unit(v, path, UNIT_TYPES);
  const dropins = seq(m.get('dropins'), `${path}.dropins`).map((d, i) => {
    const dm = map(d, `${path}.dropins[${i}]`);
    const dname = str(dm.get('name'), `${path}.dropins[${i}].name`);
    if (!dname.endsWith('.conf')) throw new ClcError(`${path}.dropins[${i}]: invalid drop-in name ${JSON.stringify(dname)}`);
    return { contents: omitBlank(str(dm.get('contents'), `${path}.dropins[${i}].contents`)), name: dname };
  });
  return {
    contents: omitBlank(str(m.get('contents'), `${path}.contents`)),
    dropins: omitEmpty(dropins),
    enable: omitFalse(bool(m.get('enable'), `${path}.enable`)),
    enabled: bool(m.get('enabled'), `${path}.enabled`),
    mask: omitFalse(bool(m.get('mask'), `${path}.mask`)),
    name,
  };
}

function user(v: Y, path: string): Obj {
  const m = map(v, path);
  refuse(m, ['create'], path);
  const hash = m.get('password_hash');
  return {
    gecos: omitBlank(str(m.get('gecos'), `${path}.gecos`)),
    groups: omitEmpty(seq(m.get('groups'), `${path}.groups`).map((g, i) => str(g, `${path}.groups[${i}]`))),
    homeDir: omitBlank(str(m.get('home_dir'), `${path}.home_dir`)),
    name: str(m.get('name'), `${path}.name`),
    noCreateHome: omitFalse(bool(m.get('no_create_home'), `${path}.no_create_home`)),
    noLogInit: omitFalse(bool(m.get('no_log_init'), `${path}.no_log_init`)),
    noUserGroup: omitFalse(bool(m.get('no_user_group'), `${path}.no_user_group`)),
    passwordHash: hash === undefined || isNull(hash) ? undefined : str(hash, `${path}.password_hash`),
    primaryGroup: omitBlank(str(m.get('primary_group'), `${path}.primary_group`)),
    sshAuthorizedKeys: omitEmpty(seq(m.get('ssh_authorized_keys'), `${path}.ssh_authorized_keys`).map((k, i) => str(k, `${path}.ssh_authorized_keys[${i}]`))),
    shell: omitBlank(str(m.get('shell'), `${path}.shell`)),
    system: omitFalse(bool(m.get('system'), `${path}.system`)),
    uid: int(m.get('uid'), `${path}.uid`),
  };
}

function group(v: Y, path: string): Obj {
  const m = map(v, path);
  return {
    gid: int(m.get('gid'), `${path}.gid`),
    name: str(m.get('name'), `${path}.name`),
    passwordHash: omitBlank(str(m.get('password_hash'), `${path}.password_hash`)),
    system: omitFalse(bool(m.get('system'), `${path}.system`)),
  };
}

/** Transpiles a rendered Container Linux Config; throws ClcError where ct reports a fatal error. */
export function containerLinuxToIgnition(yamlText: string): string {
  const doc: Document = parseDocument(yamlText, { version: '1.1', schema: 'failsafe', uniqueKeys: false });
  if (doc.errors.length > 0) throw new ClcError(`invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const top = map(doc.contents as Y, '');
  refuse(top, UNSUPPORTED_TOP, '');

  const ign = map(top.get('ignition'), 'ignition');
  refuse(ign, ['config', 'security'], 'ignition');
  const timeouts = map(ign.get('timeouts'), 'ignition.timeouts');

  const storage = map(top.get('storage'), 'storage');
  refuse(storage, ['disks', 'raid', 'filesystems'], 'storage');
  const directories = seq(storage.get('directories'), 'storage.directories').map((d, i) => {
    const path = `storage.directories[${i}]`;
    const m = map(d, path);
    return { ...node(m, path), mode: mode(m.get('mode'), 0o755, `${path}.mode`) };
  });
  const files = seq(storage.get('files'), 'storage.files').map((f, i) => file(f, `storage.files[${i}]`));
  const links = seq(storage.get('links'), 'storage.links').map((l, i) => {
    const path = `storage.links[${i}]`;
    const m = map(l, path);
    return { ...node(m, path), hard: omitFalse(bool(m.get('hard'), `${path}.hard`)), target: str(m.get('target'), `${path}.target`) };
  });

  const networkd = seq(map(top.get('networkd'), 'networkd').get('units'), 'networkd.units').map((u, i) => {
    const { m, name } = unit(u, `networkd.units[${i}]`, NETWORKD_TYPES);
    return { contents: omitBlank(str(m.get('contents'), `networkd.units[${i}].contents`)), name };
  });
  const passwd = map(top.get('passwd'), 'passwd');
  const users = seq(passwd.get('users'), 'passwd.users').map((u, i) => user(u, `passwd.users[${i}]`));
  const groups = seq(passwd.get('groups'), 'passwd.groups').map((g, i) => group(g, `passwd.groups[${i}]`));
  const units = seq(map(top.get('systemd'), 'systemd').get('units'), 'systemd.units').map((u, i) => systemdUnit(u, `systemd.units[${i}]`));

  return goJson({
    ignition: {
      config: {},
      security: { tls: {} },
      timeouts: {
        httpResponseHeaders: int(timeouts.get('http_response_headers'), 'ignition.timeouts.http_response_headers'),
        httpTotal: int(timeouts.get('http_total'), 'ignition.timeouts.http_total'),
      },
      version: '2.2.0',
    },
    networkd: { units: omitEmpty(networkd) },
    passwd: { groups: omitEmpty(groups), users: omitEmpty(users) },
    storage: { directories: omitEmpty(directories), files: omitEmpty(files), links: omitEmpty(links) },
    systemd: { units: omitEmpty(units) },
  });
}
