// The ingest load: one keep-alive connection per client, each sending its own queue of
// pre-generated bodies one after another. Clients stay within `maxSkew` requests of each other, as
// real devices reporting in real time do; otherwise one fast connection could run hours of data ahead
// and a peer that bounds how old a sample may be (Prometheus' head) would rightly refuse the rest.
import { Agent, request } from 'http';
import { BodySet } from './bodies';
import { BenchError } from './errors';

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  bodies: BodySet;
  maxSkew: number;
  /** Where the failure is reported, e.g. "influxdb / ingest". */
  where: string;
  requestTimeoutMs?: number;
}

export interface LoadResult {
  requests: number;
  bytes: number;
  /** Milliseconds from the first send until the last answer. */
  elapsedMs: number;
}

export async function sendAll(options: LoadOptions): Promise<LoadResult> {
  const { bodies } = options;
  const done = new Array<number>(bodies.clients).fill(0);
  let waiters: (() => void)[] = [];
  let failed = false;
  const slowest = () => Math.min(...done.map((d, c) => (d === bodies.requests(c) ? Infinity : d)));
  const progress = () => {
    const wake = waiters;
    waiters = [];
    for (const w of wake) w();
  };
  const agents: Agent[] = [];
  const t0 = performance.now();
  let bytes = 0;
  const client = async (c: number) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    for (let i = 0; i < bodies.requests(c); i++) {
      while (!failed && i - slowest() > options.maxSkew) await new Promise<void>((resolve) => waiters.push(resolve));
      if (failed) return;
      const body = bodies.body(c, i);
      bytes += body.length;
      await post(options, agent, body, `${options.where} (client ${c}, request ${i})`);
      done[c]++;
      progress();
    }
  };
  try {
    await Promise.all(
      Array.from({ length: bodies.clients }, (_, c) =>
        client(c).catch((err) => {
          failed = true;
          progress();
          throw err;
        }),
      ),
    );
  } finally {
    for (const agent of agents) agent.destroy();
  }
  return { requests: done.reduce((a, b) => a + b, 0), bytes, elapsedMs: performance.now() - t0 };
}

function post(options: LoadOptions, agent: Agent, body: Buffer, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(options.url, { method: 'POST', agent, headers: { ...options.headers, 'Content-Length': body.length }, timeout: options.requestTimeoutMs ?? 120_000 }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new BenchError('WRITE_REJECTED', where, `HTTP ${status}: ${Buffer.concat(parts).toString('utf8').slice(0, 500)}`));
      });
      res.on('error', (err) => reject(new BenchError('WRITE_REJECTED', where, err.message)));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', (err) => reject(new BenchError('WRITE_REJECTED', where, err.message)));
    req.end(body);
  });
}
