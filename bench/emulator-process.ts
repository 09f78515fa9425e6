/**
 * The CityVisual emulator in a process of its own, for the fleet benchmark: the schedulers under test
 * and the gateway they call then do not share one event loop (on a 2-core machine, each gets a core),
 * so the rate the emulator meters is the rate they send. Started by bench/run.ts over IPC:
 *
 *   → argv[2]: `{"groups": 10000, "faults": {...}}`
 *   ← `{"url": "http://127.0.0.1:…"}` once listening
 *   → `"report"` ← `{"stats", "arrivals": [epoch ms, …], "accepted": {"DescribeJobGroups": n, …}}`
 *   → `"close"`: exits
 */
import { type FaultConfig, makeFleetSeed, startEmulator } from '../local/emulator/index.js';

const options = JSON.parse(process.argv[2] ?? '{}') as { groups: number; faults?: FaultConfig };
const send = (message: unknown) => process.send?.(message);
const arrivals: number[] = [];
const emu = await startEmulator({
  port: 0,
  seed: makeFleetSeed(options.groups),
  ...(options.faults && { faults: options.faults }),
  onRequest: (at) => arrivals.push(at),
});

process.on('message', async (message) => {
  if (message === 'report') {
    const accepted: Record<string, number> = {};
    for (const call of emu.calls) accepted[call.action] = (accepted[call.action] ?? 0) + 1;
    send({ stats: emu.stats, arrivals, accepted });
  } else if (message === 'close') {
    await emu.close();
    process.exit(0);
  }
});
send({ url: emu.url });
