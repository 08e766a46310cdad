/** MAC addresses as lab files may write them (`52:54:00:A1:9C:AE`, `52-54-00-a1-9c-ae`). */

const MAC_RE = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

export type MacResult = { mac: string } | { problem: string; fix: string };

/** Lower-case colon form, or why the text is not a usable NIC address. */
export function parseMac(text: string): MacResult {
  if (!MAC_RE.test(text)) {
    return {
      problem: `"${text}" is not a MAC address`,
      fix: 'write six hex octets separated by ":" or "-", e.g. "52:54:00:a1:9c:ae" (quote it in YAML)',
    };
  }
  const mac = text.toLowerCase().replaceAll('-', ':');
  // The I/G bit: a NIC with a group address never gets a DHCP lease or a PXE boot.
  if (parseInt(mac.slice(0, 2), 16) & 1) {
    return {
      problem: `${mac} is a multicast MAC (the first octet's low bit is set)`,
      fix: 'use a unicast MAC: the first octet must be even, e.g. 52:54:00:xx:xx:xx (QEMU\'s prefix)',
    };
  }
  // What an unset NIC reads as: no DHCP server leases to it, and Matchbox selects nothing by it.
  if (mac === '00:00:00:00:00:00') {
    return { problem: `${mac} is the all-zero MAC, which no NIC has`, fix: "use a unicast MAC such as 52:54:00:xx:xx:xx (QEMU's prefix)" };
  }
  return { mac };
}
