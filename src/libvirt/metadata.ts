import { LAB_XMLNS } from '../ground/lab-spec.js';

/** The `id` of the lab element in our namespace, wherever it sits in a libvirt XML document. */
export function labIdFromXml(xml: string): string | undefined {
  const tag = xml.match(/<[^<>]*>/g)?.find((t) => t.includes(`"${LAB_XMLNS}"`) || t.includes(`'${LAB_XMLNS}'`));
  return tag && /\sid=["']([^"']+)["']/.exec(tag)?.[1];
}
