/**
 * The server floor: the two commands of a modifying request (find by _id, update by _id)
 * sent by the driver alone, with no app and no session store, at the benchmark's
 * concurrency. Whatever latency this shows, no store can go below on this server; and
 * comparing document shapes shows what the server charges for each.
 */
import { MongoClient, type Collection, type Document } from 'mongodb';
import { processCpuMs } from './cpu';
import { median } from './report';

export type FloorShape = 'subdocument' | 'json-string';

export interface FloorResult {
  shape: FloorShape;
  rounds: number;
  /** find + update pairs per second; medians over rounds, like the timed pass. */
  pairsPerSecond: number;
  p50: number;
  p99: number;
  serverCpuMsPerPair: number | undefined;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function cookie(expires: Date): Document {
  return { originalMaxAge: DAY_MS, expires, httpOnly: true, path: '/' };
}

const SHAPES: Record<FloorShape, { seed(): Document; update(counter: number): Document }> = {
  subdocument: {
    seed: () => {
      const now = new Date();
      const expires = new Date(now.getTime() + DAY_MS);
      return { session: { cookie: cookie(expires), seeded: true, counter: 0 }, expires, updatedAt: now, v: 1, createdAt: now };
    },
    update: (counter) => {
      const now = new Date();
      const expires = new Date(now.getTime() + DAY_MS);
      return { $set: { 'session.cookie': cookie(expires), 'session.counter': counter, expires, updatedAt: now } };
    },
  },
  'json-string': {
    seed: () => {
      const expires = new Date(Date.now() + DAY_MS);
      return { session: JSON.stringify({ cookie: cookie(expires), seeded: true, counter: 0 }), expires };
    },
    update: (counter) => {
      const expires = new Date(Date.now() + DAY_MS);
      return { $set: { session: JSON.stringify({ cookie: cookie(expires), seeded: true, counter }), expires } };
    },
  },
};

async function runPairs(
  col: Collection,
  shape: FloorShape,
  pool: number,
  connections: number,
  durationS: number,
  serverPid: number | undefined,
) {
  const latencies: number[] = [];
  const cpuBefore = processCpuMs(serverPid);
  const started = performance.now();
  const end = started + durationS * 1000;
  let counter = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const id = `s${Math.floor(Math.random() * pool)}`;
        const t = performance.now();
        await col.findOne({ _id: id as never });
        await col.updateOne({ _id: id as never }, SHAPES[shape].update(++counter));
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  const cpuAfter = processCpuMs(serverPid);
  latencies.sort((a, b) => a - b);
  return {
    pairsPerSecond: latencies.length / elapsedS,
    p50: latencies[Math.floor(latencies.length * 0.5)] ?? Number.NaN,
    p99: latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN,
    serverCpuMsPerPair: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / latencies.length,
  };
}

export async function measureFloor(options: {
  uri: string;
  databaseName: (shape: FloorShape) => string;
  pool: number;
  connections: number;
  durationS: number;
  rounds: number;
  serverPid: number | undefined;
}): Promise<FloorResult[]> {
  const client = new MongoClient(options.uri, { maxPoolSize: Math.max(options.connections, 10) });
  const shapes = Object.keys(SHAPES) as FloorShape[];
  try {
    const collections = new Map<FloorShape, Collection>();
    for (const shape of shapes) {
      const col = client.db(options.databaseName(shape)).collection('sessions');
      await col.insertMany(Array.from({ length: options.pool }, (_, i) => ({ _id: `s${i}` as never, ...SHAPES[shape].seed() })));
      await col.createIndex({ expires: 1 });
      collections.set(shape, col);
    }
    const runs = new Map<FloorShape, Awaited<ReturnType<typeof runPairs>>[]>();
    for (let round = 0; round < options.rounds; round++) {
      for (const shape of shapes) {
        const result = await runPairs(
          collections.get(shape)!,
          shape,
          options.pool,
          options.connections,
          options.durationS,
          options.serverPid,
        );
        runs.set(shape, [...(runs.get(shape) ?? []), result]);
      }
    }
    return shapes.map((shape) => {
      const mine = runs.get(shape)!;
      const cpu = mine.map((r) => r.serverCpuMsPerPair).filter((v): v is number => v !== undefined);
      return {
        shape,
        rounds: mine.length,
        pairsPerSecond: median(mine.map((r) => r.pairsPerSecond)),
        p50: median(mine.map((r) => r.p50)),
        p99: median(mine.map((r) => r.p99)),
        serverCpuMsPerPair: cpu.length === 0 ? undefined : median(cpu),
      };
    });
  } finally {
    for (const shape of shapes)
      await client
        .db(options.databaseName(shape))
        .dropDatabase()
        .catch(() => undefined);
    await client.close();
  }
}
