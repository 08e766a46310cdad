import { create } from 'xmlbuilder2';
import type { LabSpec } from '../spec/types.js';

export type XmlElement = ReturnType<typeof create>;

/** Our own namespace for libvirt <metadata>: lets `down` and `list` find a lab's objects by id. */
export const LAB_XMLNS = 'https://metal-lab.dev/xmlns/lab/1';

/** A document root element to fill in; every libvirt render starts here. */
export function xmlRoot(name: string, attrs: Record<string, string> = {}): XmlElement {
  return create().ele(name, attrs);
}

/** Pretty-printed, no XML declaration (virsh and virt-xml-validate take either), trailing newline. */
export function serialize(root: XmlElement): string {
  return `${root.end({ prettyPrint: true, headless: true, indent: '  ' })}\n`;
}

/** `<metadata><ml:lab id=.../></metadata>`, extra attributes (node, role) appended in order. */
export function addLabMetadata(parent: XmlElement, lab: Pick<LabSpec, 'id'>, extra: Record<string, string> = {}): void {
  parent.ele('metadata').ele(LAB_XMLNS, 'ml:lab', { 'xmlns:ml': LAB_XMLNS, id: lab.id, ...extra });
}
