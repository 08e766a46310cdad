import { create } from 'xmlbuilder2';

/** The slice of the DOM the render tests read; xmlbuilder2 parses into a full DOM underneath. */
export interface El {
  nodeName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<El>;
}

/** Parses XML text back into its root element (throws on malformed XML). */
export function parseXml(xml: string): El {
  return create(xml).root().node as unknown as El;
}

/** Every descendant element with this qualified name, in document order. */
export function all(root: El, name: string): El[] {
  return Array.from(root.getElementsByTagName(name));
}

/** The single descendant with this name; throws when there is none or several. */
export function one(root: El, name: string): El {
  const found = all(root, name);
  if (found.length !== 1) throw new Error(`expected exactly one <${name}>, found ${found.length}`);
  return found[0] as El;
}
