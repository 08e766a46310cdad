/**
 * Matchbox's machine-facing endpoints over one data-dir snapshot. Each returns the reply plus
 * the group and profile it chose, for the request log.
 */
import type { IncomingMessage } from 'node:http';
import { ClcError, containerLinuxToIgnition } from './clc.js';
import { type Reply, notFound, serveContent, text } from './http-go.js';
import { IPXE_BOOTSTRAP, envFile, grubConfig, ipxeScript, templateData } from './render.js';
import type { LoadedGroup, StoreSnapshot } from './store.js';
import type { TemplateFiles } from './template-files.js';
import { TemplateError } from './template/index.js';
import type { NetBoot, Profile } from './types.js';

export interface RequestFacts {
  req: IncomingMessage;
  labels: Record<string, string>;
  rawQuery: string;
}

export type Answer = Reply & { group?: string; profile?: string };

type Handler = (store: StoreSnapshot, facts: RequestFacts, templates: TemplateFiles) => Answer | Promise<Answer>;

function withChoice(reply: Reply, group?: LoadedGroup, profile?: Profile): Answer {
  const answer: Answer = reply;
  if (group) answer.group = group.id;
  if (profile) answer.profile = profile.id;
  return answer;
}

function selectProfile(store: StoreSnapshot, labels: Record<string, string>): { group?: LoadedGroup; profile?: Profile } {
  const group = store.groups.select(labels);
  return { group, profile: group && store.profiles.get(group.profile) };
}

/** A profile's boot config, rendered once per snapshot: a reload makes new profile objects. */
function bootConfig(render: (boot: NetBoot) => string): Handler {
  const rendered = new WeakMap<NetBoot, string>();
  return (store, { labels }) => {
    const { group, profile } = selectProfile(store, labels);
    if (!group) return notFound('no group matches the labels');
    if (!profile) return withChoice(notFound(`profile ${group.profile} not found`), group);
    if (!profile.boot) return withChoice(notFound(`profile ${profile.id} has no boot section`), group, profile);
    let body = rendered.get(profile.boot);
    if (body === undefined) rendered.set(profile.boot, (body = render(profile.boot)));
    return withChoice(text(body), group, profile);
  };
}

/** A rendered template (ignition/ or generic/) for the matched group's profile. */
async function renderFor(
  dir: 'ignition' | 'generic',
  store: StoreSnapshot,
  facts: RequestFacts,
  templates: TemplateFiles,
  answer: (body: string, raw: boolean, group: LoadedGroup, profile: Profile) => Answer,
): Promise<Answer> {
  const { group, profile } = selectProfile(store, facts.labels);
  if (!group) return notFound('no group matches the labels');
  if (!profile) return withChoice(notFound(`profile ${group.profile} not found`), group);
  const name = (dir === 'ignition' ? profile.ignition_id : profile.generic_id) ?? '';
  const file = name ? await templates.get(dir, name) : undefined;
  if (!file) return withChoice(notFound(`no ${dir} file named ${JSON.stringify(name)}`), group, profile);
  if (dir === 'ignition' && /\.(ign|ignition)$/.test(name)) return answer(file.text, true, group, profile);
  try {
    return answer(file.template().render(templateData(group, facts.labels, facts.rawQuery)), false, group, profile);
  } catch (err) {
    if (err instanceof TemplateError || err instanceof ClcError) {
      return withChoice(notFound(`${dir}/${name}: ${err.message}`), group, profile);
    }
    throw err;
  }
}

export const ENDPOINTS: Record<string, Handler> = {
  '/boot.ipxe': () => text(IPXE_BOOTSTRAP),
  '/boot.ipxe.0': () => text(IPXE_BOOTSTRAP),
  '/ipxe': bootConfig(ipxeScript),
  '/grub': bootConfig(grubConfig),
  // .ign/.ignition is served raw; anything else is a Container Linux Config template, rendered then transpiled.
  '/ignition': (store, facts, templates) =>
    renderFor('ignition', store, facts, templates, (body, raw, group, profile) =>
      withChoice(text(raw ? body : containerLinuxToIgnition(body), 'application/json'), group, profile),
    ),
  '/generic': (store, facts, templates) =>
    renderFor('generic', store, facts, templates, (body, _raw, group, profile) =>
      withChoice(serveContent(facts.req, { kind: 'buffer', data: Buffer.from(body) }, ''), group, profile),
    ),
  '/metadata': (store, { labels, rawQuery }) => {
    const group = store.groups.select(labels);
    if (!group) return notFound('no group matches the labels');
    return withChoice(text(envFile(templateData(group, labels, rawQuery)), 'plain/text'), group);
  },
  // metal-lab extension: the node agent reports progress ("reached userspace"); the request log is the record.
  '/lab/event': () => text('ok\n'),
};

/** Endpoints whose answer is a function of the snapshot, the path and the query alone (no template file, no request header). */
export const PURE_ENDPOINTS: ReadonlySet<string> = new Set(['/boot.ipxe', '/boot.ipxe.0', '/ipxe', '/grub', '/metadata', '/lab/event']);
