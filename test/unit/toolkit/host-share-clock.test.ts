import test from 'ava';
import { hostShareClock } from '../../../src/toolkit/host-share-clock.js';

/**
 * A host of fake /proc files: `tick` advances wall time and the CPU ticks of the host (all its
 * cores together), split between the lab's process, other work and idle.
 */
function fakeHost() {
  const host = { wall: 1_000_000, user: 0, idle: 0, lab: 0, labStart: '4242' };
  const files = (file: string): string | undefined => {
    if (file === '/proc/stat') return `cpu  ${host.user} 0 0 ${host.idle} 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\n`;
    // utime carries the lab's ticks; cutime those of children it waited for (counted too).
    if (file === '/proc/7/stat') return `7 (qemu-system-x86) S 1 7 7 0 -1 4194560 0 0 0 0 ${host.lab / 2} 0 ${host.lab / 2} 0 20 0 3 0 ${host.labStart} 1 1`;
    return undefined;
  };
  return {
    host,
    read: files,
    /** `ms` of wall time on a 2-core host (100 ticks a second a core): lab, others and idle shares. */
    tick(ms: number, share: { lab: number; others: number }) {
      const ticks = (ms / 1000) * 100 * 2;
      host.wall += ms;
      host.lab += ticks * share.lab;
      host.user += ticks * (share.lab + share.others);
      host.idle += ticks * (1 - share.lab - share.others);
    },
  };
}

const clockOn = (h: ReturnType<typeof fakeHost>, floor?: number) =>
  hostShareClock({ pids: () => [7, 99], read: h.read, wallNow: () => h.host.wall, sampleMs: 1000, floor });

/** Lab milliseconds that `seconds` of wall time with these shares give, read once a second. */
function labMsOver(seconds: number, share: { lab: number; others: number }, floor?: number): number {
  const h = fakeHost();
  const clock = clockOn(h, floor);
  const start = clock.now();
  for (let i = 0; i < seconds; i++) {
    h.tick(1000, share);
    clock.now();
  }
  return Math.round(clock.now() - start);
}

test('a lab that has the host to itself runs on wall time', (t) => {
  const h = fakeHost();
  const clock = clockOn(h);
  const start = clock.now();
  for (let i = 0; i < 10; i++) h.tick(1000, { lab: 1, others: 0 });
  t.is(clock.now() - start, 10_000);
  t.is(clock.stretchMs(), 0);
});

test('time the host gives to other work is not counted: others at 75% leave the lab a quarter', (t) => {
  t.is(labMsOver(10, { lab: 0.25, others: 0.75 }), 2500);
});

test('idle CPU counts as the lab could have had it: others at 50% and 40% idle leave the lab 90%', (t) => {
  t.is(labMsOver(5, { lab: 0.1, others: 0.5 }), 4500);
});

test('the clock never runs slower than its floor, so a host busy for ever still ends the wait', (t) => {
  t.is(labMsOver(8, { lab: 0, others: 1 }, 0.25), 2000);
});

test('the clock never goes back, though between samples it runs at the last rate', (t) => {
  const h = fakeHost();
  const clock = clockOn(h);
  h.tick(1000, { lab: 1, others: 0 });
  const readings = [clock.now()];
  // Half a second at the last rate (1), then a sample that finds the host taken by others.
  h.tick(500, { lab: 0, others: 1 });
  readings.push(clock.now());
  h.tick(600, { lab: 0, others: 1 });
  readings.push(clock.now());
  h.tick(100, { lab: 0, others: 1 });
  readings.push(clock.now());
  t.deepEqual([...readings].sort((a, b) => a - b), readings);
  t.true(readings[3]! - readings[0]! < 2200 * 0.5, `ran ${readings[3]! - readings[0]!} ms over 2200 ms of a taken host`);
  t.is(Math.round(clock.stretchMs()), Math.round(2200 - (readings[3]! - readings[0]!) - 1000), 'what it gave back: wall time less lab time');
});

test("a lab process that is gone or restarted (a pid reused, another start time) adds none of its old ticks", (t) => {
  const h = fakeHost();
  const clock = clockOn(h);
  const start = clock.now();
  h.tick(1000, { lab: 1, others: 0 });
  clock.now();
  // The VM restarts: its new process has a different start time and ticks counted from zero.
  h.host.labStart = '9999';
  h.host.lab = 50;
  h.tick(1000, { lab: 0, others: 1 });
  clock.now();
  // Not counted as the lab's: that second went to others (floor 0.2).
  t.is(Math.round(clock.now() - start), 1200);
});
