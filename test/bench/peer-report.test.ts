// The benchmark report: medians and ranges over repeated runs, sidecar/peer ratios, the scale
// table and the targets judged from the figures.
import { aggregate, formatValue, renderReport, summarize } from '../../bench/peer/report';
import { RunResult } from '../../bench/peer/run';
import { percentile } from '../../bench/peer/measure';

const meta = { date: '2026-01-01 00:00 UTC', command: 'npm run bench', machine: ['2 × CPU'], versions: { influxdb: 'InfluxDB v1.6.7', prometheus: 'prometheus 2.42.0' }, workload: 'fleet', runs: 1 };

function run(scaleFactor: number): RunResult {
  return {
    notes: [],
    figures: {
      'ingest.lp.rate': { sidecar: 2_000_000 * scaleFactor, influxdb: 1_000_000 },
      'ingest.rw.rate': { sidecar: 1_500_000, prometheus: 1_000_000 },
      'disk.bytesPerSample': { sidecar: 1.2, influxdb: 3.5, prometheus: 1.3 },
      'q2.median': { sidecar: 10, influxdb: 1000, prometheus: 40 },
      'q2.sidecar-promql.median': { sidecar: 30 },
      'q4.median': { sidecar: 30, influxdb: 35, prometheus: 50 },
      'kill.queryable': { sidecar: 0.5, influxdb: 1.0, prometheus: 2.0 },
      'rss.peak': { sidecar: 400 * 2 ** 20, influxdb: 100 * 2 ** 20, prometheus: 200 * 2 ** 20 },
      'scale.100.lp': { sidecar: 900_000, influxdb: 450_000 },
      'scale.100.q2': { sidecar: 1, influxdb: 100, prometheus: 5 },
    },
  };
}

describe('summaries', () => {
  it('takes the median and range of repeated figures', () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(summarize([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(summarize([])).toBeUndefined();
    expect(aggregate([run(1), run(2)])['ingest.lp.rate'].sidecar).toEqual({ median: 3_000_000, min: 2_000_000, max: 4_000_000, n: 2 });
  });

  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(10);
    expect(percentile(sorted, 95)).toBe(19);
    expect(percentile([7], 95)).toBe(7);
  });

  it('formats each unit', () => {
    expect(formatValue(1_234_567.4, 'rate')).toBe('1,234,567');
    expect(formatValue(300 * 2 ** 20, 'mib')).toBe('300');
    expect(formatValue(1.234, 'perSample')).toBe('1.23');
    expect(formatValue(3.456, 'ms')).toBe('3.46');
    expect(formatValue(345.67, 'ms')).toBe('345.7');
  });
});

describe('renderReport', () => {
  const text = renderReport(meta, [run(1)], [100, 1000]);

  it('states date, command, machine, versions and workload', () => {
    expect(text).toContain('Date: 2026-01-01 00:00 UTC');
    expect(text).toContain('Command: `npm run bench`');
    expect(text).toContain('Versions: InfluxDB v1.6.7; prometheus 2.42.0');
  });

  it('gives every figure with the sidecar/peer ratio, only against the peers that have it', () => {
    expect(text).toContain('| Ingest, line protocol | samples/s | 2,000,000 | 1,000,000 |  | 2.00× |  |');
    expect(text).toContain('| On disk once settled | bytes/sample | 1.20 | 3.50 | 1.30 | 0.34× | 0.92× |');
    expect(text).toContain('| Q2 median, PromQL on the sidecar | ms | 30.0 |  | 40.0 |  | 0.75× |');
    expect(text).not.toContain('| Q1 median |');
  });

  it('shows median and range when runs repeat', () => {
    expect(renderReport({ ...meta, runs: 2 }, [run(1), run(2)], [])).toContain('| Ingest, line protocol | samples/s | 3,000,000 (2,000,000–4,000,000) | 1,000,000 (1,000,000–1,000,000) |  | 3.00× |  |');
  });

  it('has a scale row per fleet size measured', () => {
    expect(text).toContain('| 100 | 900,000 | 450,000 | 2.00× | — | — | — | 1.00 | 100.0 | 5.00 |');
    expect(text).not.toContain('| 1,000 |');
  });

  it('judges the targets against the faster peer, and says what was not measured', () => {
    expect(text).toContain('| Ingest ≥ 1.0× InfluxDB | 2.00× | yes |');
    expect(text).toContain('| Ingest ≥ 2× Prometheus | 1.50× | no |');
    expect(text).toContain('| On disk ≤ 1.5 bytes/sample | 1.20 bytes/sample | yes |');
    expect(text).toContain('| Q2 median ≤ 0.5× the faster peer | 0.25× | yes |');
    expect(text).toContain('| Q4 median ≤ 0.5× the faster peer | 0.86× | no |');
    expect(text).toContain('| Q1 median ≤ 1.0× the faster peer | — | not measured |');
    expect(text).toContain('| Full recovery after SIGKILL ≤ InfluxDB | 0.50× | yes |');
    expect(text).toContain('| Peak RSS ≤ 300 MiB | 400 MiB | no |');
  });
});
