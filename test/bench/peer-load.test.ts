// The ingest load and the readings of server state the benchmark relies on: clients within the skew
// bound, a refused write stopping the run, peers' "still settling" signals and InfluxDB's config.
import { createServer, IncomingMessage, Server } from 'http';
import { AddressInfo } from 'net';
import { BodySet } from '../../bench/peer/bodies';
import { sendAll } from '../../bench/peer/load';
import { gaugeValue } from '../../bench/peer/metrics-text';
import { influxBusy, influxConfig } from '../../bench/peer/targets/influxdb';
import { prometheusBusy } from '../../bench/peer/targets/prometheus';
import { sidecarBusy } from '../../bench/peer/targets/sidecar';

function bodies(clients: number, perClient: number): BodySet {
  const set = new BodySet('lp', clients);
  for (let c = 0; c < clients; c++) for (let i = 0; i < perClient; i++) set.add(c, Buffer.from(`${c}:${i}`), 1);
  return set;
}

async function withServer(handler: (body: string, req: IncomingMessage) => Promise<number>, run: (url: string) => Promise<void>): Promise<void> {
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      void handler(Buffer.concat(parts).toString(), req).then((status) => res.writeHead(status).end(status === 204 ? undefined : 'refused: out of bounds'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/write`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('sendAll', () => {
  it('sends every body once, each client in order over one connection, none more than maxSkew ahead', async () => {
    const done = [0, 0, 0];
    const seen: string[] = [];
    const sockets = new Set<unknown>();
    await withServer(
      async (body, req) => {
        const [c, i] = body.split(':').map(Number);
        sockets.add(req.socket);
        seen.push(body);
        expect(i).toBe(done[c]);
        expect(i - Math.min(...done)).toBeLessThanOrEqual(2);
        // Client 0 is slow: the others must wait for it rather than run ahead.
        await new Promise((resolve) => setTimeout(resolve, c === 0 ? 5 : 0));
        done[c]++;
        return 204;
      },
      async (url) => {
        const result = await sendAll({ url, headers: {}, bodies: bodies(3, 10), maxSkew: 2, where: 'test' });
        expect(result.requests).toBe(30);
      },
    );
    expect(seen.sort()).toEqual([0, 1, 2].flatMap((c) => Array.from({ length: 10 }, (_, i) => `${c}:${i}`)).sort());
    expect(sockets.size).toBe(3);
  });

  it('stops with WRITE_REJECTED naming the client, request and answer when a write is refused', async () => {
    await withServer(
      async (body) => (body === '1:3' ? 400 : 204),
      async (url) => {
        await expect(sendAll({ url, headers: {}, bodies: bodies(2, 6), maxSkew: 1, where: 'peer / ingest' })).rejects.toThrow(
          'WRITE_REJECTED in peer / ingest (client 1, request 3): HTTP 400: refused: out of bounds',
        );
      },
    );
  });
});

describe('server state readings', () => {
  it('reads gauges with or without labels, in any float notation', () => {
    const text = '# HELP x\nprometheus_tsdb_head_max_time 1.7955756e+12\nsensorstore_compaction_running{partition="a"} 1\n';
    expect(gaugeValue(text, 'prometheus_tsdb_head_max_time')).toBe(1.7955756e12);
    expect(gaugeValue(text, 'sensorstore_compaction_running')).toBe(1);
    expect(gaugeValue(text, 'absent')).toBeUndefined();
  });

  it('sees Prometheus busy while its head spans more than 3 h', () => {
    const head = (spanMs: number) => `prometheus_tsdb_head_min_time 1000\nprometheus_tsdb_head_max_time ${1000 + spanMs}\n`;
    expect(prometheusBusy(head(3 * 3_600_000 + 1))).toBe(true);
    expect(prometheusBusy(head(3 * 3_600_000))).toBe(false);
  });

  it('sees InfluxDB busy while a cache holds samples or a compaction runs', () => {
    const vars = (memBytes: number, active: number) => ({
      'tsm1_cache:/d/1:1': { name: 'tsm1_cache', values: { memBytes, diskBytes: 0 } },
      'tsm1_engine:/d/1:1': { name: 'tsm1_engine', values: { cacheCompactionsActive: 0, tsmFullCompactionsActive: active } },
      memstats: { Alloc: 1 },
    });
    expect(influxBusy(vars(0, 0))).toBe(false);
    expect(influxBusy(vars(10, 0))).toBe(true);
    expect(influxBusy(vars(0, 1))).toBe(true);
  });

  it('configures InfluxDB under its data dir on 127.0.0.1, fsync per write, no reporting or self-monitoring', () => {
    const config = influxConfig('/tmp/x/data', 18086, 18087);
    expect(config).toContain('reporting-disabled = true');
    expect(config).toContain('bind-address = "127.0.0.1:18087"');
    expect(config).toContain('bind-address = "127.0.0.1:18086"');
    expect(config).toContain('dir = "/tmp/x/data/meta"');
    expect(config).toContain('wal-dir = "/tmp/x/data/wal"');
    expect(config).toContain('wal-fsync-delay = "0s"');
    expect(config).toMatch(/\[monitor\]\n {2}store-enabled = false/);
  });
});

describe('the sidecar settling', () => {
  it('is busy while a compaction runs or the head still holds samples', () => {
    const page = (running: number, head: number) => `sensorstore_compaction_running ${running}\nsensorstore_head_samples ${head}\n`;
    expect(sidecarBusy(page(0, 0))).toBe(false);
    expect(sidecarBusy(page(1, 0))).toBe(true);
    expect(sidecarBusy(page(0, 8640))).toBe(true);
    expect(sidecarBusy('')).toBe(false);
  });
});
