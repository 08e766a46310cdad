import { spawn } from 'node:child_process';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { hostShareClock } from '../../../src/toolkit/host-share-clock.js';

// Real /proc: CPU burners, one per core, are the lab for one clock and other work for another.
// Both clocks see the same host over the same seconds, so whatever else runs beside this test
// slows both alike; only the burners' share separates them.
test("CPU that processes outside the lab use is not counted on the lab's clock", async (t) => {
  const burners = Array.from({ length: os.availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  t.teardown(() => burners.forEach((b) => b.kill('SIGKILL')));
  const pids = burners.map((b) => b.pid!);
  const asLab = hostShareClock({ pids: () => pids, sampleMs: 200 });
  const asOthers = hostShareClock({ pids: () => [process.pid], sampleMs: 200 });
  const wallMs = 3000;
  for (let waited = 0; waited < wallMs; waited += 200) {
    await sleep(200);
    asLab.now();
    asOthers.now();
  }
  const given = { asLab: asLab.stretchMs(), asOthers: asOthers.stretchMs() };
  t.log(`wall ${wallMs} ms; given back: burners as the lab ${Math.round(given.asLab)} ms, as others ${Math.round(given.asOthers)} ms`);
  t.true(given.asOthers - given.asLab > wallMs * 0.2, JSON.stringify(given));
  // The floor (0.2) bounds what a saturated host can give back.
  t.true(given.asOthers <= wallMs * 0.8 + 250, JSON.stringify(given));
});
