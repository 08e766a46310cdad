import { create } from 'xmlbuilder2';
import { LAB_XMLNS, type LabSpec } from '../ground/lab-spec.js';

export type XmlElement = ReturnType<typeof create>;

/** A document root element to fill in; every libvirt render starts here. */
export function xmlRoot(name: string, attrs: Record<string, string> = {}): XmlElement {
  return create().ele(name, attrs);
}

/** Pretty-printed, no XML declaration (virsh and virt-xml-validate take either), trailing newline. */
export function serialize(root: XmlElement): string {
  return `${root.end({ prettyPrint: true, headless: true, indent: '  ' })}\n`;
}

/**
 * `<metadata><ml:lab id=.../></metadata>`: how `down` and `status` find a lab's objects.
 * Extra attributes (node, role) follow the id in the given order.
 */
export function addLabMetadata(parent: XmlElement, lab: Pick<LabSpec, 'id'>, extra: Record<string, string> = {}): void {
  parent.ele('metadata').ele(LAB_XMLNS, 'ml:lab', { 'xmlns:ml': LAB_XMLNS, id: lab.id, ...extra });
}
