import test from 'ava';
import { cleanPath, goClean } from '../../../src/matchbox/http-go.js';

// Go's path.Clean on the cases of its own tests (path_test.go's cleantests).
const goCases: [string, string][] = [
  ['', '.'], ['abc', 'abc'], ['abc/def', 'abc/def'], ['.', '.'], ['..', '..'], ['../..', '../..'], ['../../abc', '../../abc'],
  ['/abc', '/abc'], ['/', '/'], ['abc/', 'abc'], ['abc/def/', 'abc/def'], ['./', '.'], ['../', '..'], ['/abc/', '/abc'],
  ['abc//def//ghi', 'abc/def/ghi'], ['//abc', '/abc'], ['///abc', '/abc'], ['//abc//', '/abc'], ['abc/./def', 'abc/def'],
  ['/./abc/def', '/abc/def'], ['abc/.', 'abc'], ['abc/def/ghi/../jkl', 'abc/def/jkl'], ['abc/def/../ghi/../jkl', 'abc/jkl'],
  ['abc/def/..', 'abc'], ['abc/def/../..', '.'], ['/abc/def/../..', '/'], ['abc/def/../../..', '..'], ['/abc/def/../../..', '/'],
  ['abc/def/../../../ghi/jkl/../../../mno', '../../mno'], ['abc/./../def', 'def'], ['abc//./../def', 'def'], ['abc/../../././../def', '../../def'],
];

test("goClean is Go's path.Clean", (t) => {
  for (const [path, want] of goCases) t.is(goClean(path), want, path);
});

test('cleanPath is ServeMux’s: rooted, cleaned, a trailing slash kept', (t) => {
  t.is(cleanPath(''), '/');
  t.is(cleanPath('ipxe'), '/ipxe');
  t.is(cleanPath('/assets/os/'), '/assets/os/');
  t.is(cleanPath('/assets//os/../vmlinuz'), '/assets/vmlinuz');
  t.is(cleanPath('/a/./b/.'), '/a/b');
  t.is(cleanPath('/..'), '/');
});

test('cleanPath returns a clean path as it is, and agrees with cleaning in full on every other', (t) => {
  const full = (p: string) => {
    const rooted = p.startsWith('/') ? p : `/${p}`;
    const np = goClean(rooted);
    return rooted.endsWith('/') && np !== '/' ? `${np}/` : np;
  };
  const parts = ['', '/', 'a', '.', '..', '...', '.a', 'a.', '..a'];
  let checked = 0;
  for (const a of parts) for (const b of parts) for (const c of parts) {
    for (const path of [a + b + c, `/${a}${b}${c}`, `${a}${b}${c}/`, `/${a}/${b}/${c}`]) {
      t.is(cleanPath(path), full(path), path);
      checked++;
    }
  }
  t.is(checked, 4 * parts.length ** 3);
});
