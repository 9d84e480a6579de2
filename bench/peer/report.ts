// The Markdown report of one or more runs: every figure per target with the sidecar/peer ratios, the
// scale table, the targets from issue 7 with met / not met, and the machine, versions, date and
// command. With several runs each cell is the median and the range (min–max), since this machine is noisy.
import { RunResult } from './run';
import { TargetId } from './targets/target';

type Peer = 'influxdb' | 'prometheus';
type Unit = 'rate' | 'perCpu' | 'cpu' | 'cores' | 'mib' | 'perSample' | 'ms' | 's';

interface Row {
  key: string;
  /** Where the peers' figures are, when not under `key` (the sidecar's PromQL rows compare with the peers' main query). */
  peerKey?: string;
  label: string;
  unit: Unit;
  peers: Peer[];
  /** A figure about the machine rather than the target: no ratio. */
  noRatio?: boolean;
}

const BOTH: Peer[] = ['influxdb', 'prometheus'];

const UNIT_NAMES: Record<Unit, string> = { rate: 'samples/s', perCpu: 'samples/CPU-s', cpu: 'CPU-s', cores: 'cores', mib: 'MiB', perSample: 'bytes/sample', ms: 'ms', s: 's' };

export const ROWS: Row[] = [
  { key: 'ingest.lp.rate', label: 'Ingest, line protocol', unit: 'rate', peers: ['influxdb'] },
  { key: 'ingest.lp.cpu', label: 'Server CPU for that ingest', unit: 'cpu', peers: ['influxdb'] },
  { key: 'ingest.lp.perCpu', label: 'Samples per server CPU-second', unit: 'perCpu', peers: ['influxdb'] },
  { key: 'ingest.lp.rss', label: 'Peak RSS by the end of that ingest', unit: 'mib', peers: ['influxdb'] },
  { key: 'ingest.lp.otherCores', label: 'Other processes on the machine meanwhile (noise)', unit: 'cores', peers: ['influxdb'], noRatio: true },
  { key: 'ingest.rw.rate', label: 'Ingest, remote write', unit: 'rate', peers: ['prometheus'] },
  { key: 'ingest.rw.cpu', label: 'Server CPU for that ingest', unit: 'cpu', peers: ['prometheus'] },
  { key: 'ingest.rw.perCpu', label: 'Samples per server CPU-second', unit: 'perCpu', peers: ['prometheus'] },
  { key: 'ingest.rw.rss', label: 'Peak RSS by the end of that ingest', unit: 'mib', peers: ['prometheus'] },
  { key: 'ingest.rw.otherCores', label: 'Other processes on the machine meanwhile (noise)', unit: 'cores', peers: ['prometheus'], noRatio: true },
  { key: 'disk.bytesPerSample', label: 'On disk once settled', unit: 'perSample', peers: BOTH },
  ...(['q1', 'q2', 'q3', 'q4', 'q5'] as const).flatMap((q) => [
    { key: `${q}.median`, label: `${q.toUpperCase()} median`, unit: 'ms' as Unit, peers: BOTH },
    { key: `${q}.p95`, label: `${q.toUpperCase()} p95`, unit: 'ms' as Unit, peers: BOTH },
    ...(q === 'q2' || q === 'q3'
      ? [
          { key: `${q}.sidecar-promql.median`, peerKey: `${q}.median`, label: `${q.toUpperCase()} median, PromQL on the sidecar`, unit: 'ms' as Unit, peers: ['prometheus'] as Peer[] },
          { key: `${q}.sidecar-promql.p95`, peerKey: `${q}.p95`, label: `${q.toUpperCase()} p95, PromQL on the sidecar`, unit: 'ms' as Unit, peers: ['prometheus'] as Peer[] },
        ]
      : []),
  ]),
  { key: 'kill.ready', label: 'SIGKILL after ingest: restart until ready', unit: 's', peers: BOTH },
  { key: 'kill.queryable', label: 'SIGKILL after ingest: restart until every sample is queryable', unit: 's', peers: BOTH },
  { key: 'term.shutdown', label: 'SIGTERM after ingest: until the process exited', unit: 's', peers: BOTH },
  { key: 'term.ready', label: 'SIGTERM after ingest: restart until ready', unit: 's', peers: BOTH },
  { key: 'term.queryable', label: 'SIGTERM after ingest: restart until every sample is queryable', unit: 's', peers: BOTH },
  { key: 'rss.peak', label: 'Peak RSS over ingest, restart and queries', unit: 'mib', peers: BOTH },
];

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(values: number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/** figures of every run, folded into one summary per figure and target. */
export function aggregate(runs: RunResult[]): Record<string, Partial<Record<TargetId, Summary>>> {
  const values: Record<string, Partial<Record<TargetId, number[]>>> = {};
  for (const run of runs) {
    for (const [key, byTarget] of Object.entries(run.figures)) {
      for (const [target, value] of Object.entries(byTarget) as [TargetId, number][]) ((values[key] ??= {})[target] ??= []).push(value);
    }
  }
  const out: Record<string, Partial<Record<TargetId, Summary>>> = {};
  for (const [key, byTarget] of Object.entries(values)) {
    for (const [target, list] of Object.entries(byTarget) as [TargetId, number[]][]) (out[key] ??= {})[target] = summarize(list);
  }
  return out;
}

export function formatValue(value: number, unit: Unit): string {
  switch (unit) {
    case 'rate':
    case 'perCpu':
      return Math.round(value).toLocaleString('en-US');
    case 'mib':
      return (value / 2 ** 20).toFixed(0);
    case 'cpu':
      return value.toFixed(1);
    case 'cores':
      return value.toFixed(2);
    case 'perSample':
      return value.toFixed(2);
    case 'ms':
      return value < 10 ? value.toFixed(2) : value.toFixed(1);
    case 's':
      return value.toFixed(2);
  }
}

function cell(s: Summary | undefined, unit: Unit): string {
  if (!s) return '—';
  if (s.n === 1) return formatValue(s.median, unit);
  return `${formatValue(s.median, unit)} (${formatValue(s.min, unit)}–${formatValue(s.max, unit)})`;
}

function ratio(sidecar: Summary | undefined, peer: Summary | undefined): string {
  if (!sidecar || !peer || peer.median === 0) return '—';
  return `${(sidecar.median / peer.median).toFixed(2)}×`;
}

export interface ReportMeta {
  date: string;
  command: string;
  machine: string[];
  versions: Partial<Record<TargetId, string>>;
  workload: string;
  runs: number;
}

export function renderReport(meta: ReportMeta, runs: RunResult[], scale: number[]): string {
  const agg = aggregate(runs);
  const lines: string[] = [];
  lines.push(`Date: ${meta.date}  `);
  lines.push(`Command: \`${meta.command}\`  `);
  lines.push(`Machine: ${meta.machine.join('; ')}  `);
  lines.push(`Versions: ${(['sidecar', 'influxdb', 'prometheus'] as const).map((t) => meta.versions[t]).filter(Boolean).join('; ')}  `);
  lines.push(`Workload: ${meta.workload}  `);
  lines.push(meta.runs > 1 ? `Runs: ${meta.runs}; each cell is the median (min–max) over the runs.` : 'Runs: 1.');
  lines.push('');
  lines.push('| Figure | Unit | Sidecar | InfluxDB | Prometheus | Sidecar / InfluxDB | Sidecar / Prometheus |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const row of ROWS) {
    const f = agg[row.key];
    if (!f) continue;
    const peers = agg[row.peerKey ?? row.key] ?? {};
    const col = (t: TargetId) => (t === 'sidecar' ? cell(f.sidecar, row.unit) : row.peers.includes(t as Peer) ? cell(peers[t], row.unit) : '');
    const r = (p: Peer) => (row.peers.includes(p) && !row.noRatio ? ratio(f.sidecar, peers[p]) : '');
    lines.push(`| ${row.label} | ${UNIT_NAMES[row.unit]} | ${col('sidecar')} | ${col('influxdb')} | ${col('prometheus')} | ${r('influxdb')} | ${r('prometheus')} |`);
  }
  const scaleLines = renderScale(agg, scale);
  if (scaleLines.length > 0) lines.push('', ...scaleLines);
  lines.push('', ...renderTargets(agg));
  const notes = [...new Set(runs.flatMap((r) => r.notes))];
  if (notes.length > 0) lines.push('', 'Notes:', ...notes.map((n) => `- ${n}`));
  return lines.join('\n') + '\n';
}

function renderScale(agg: ReturnType<typeof aggregate>, scale: number[]): string[] {
  const sizes = scale.filter((d) => agg[`scale.${d}.lp`] || agg[`scale.${d}.rw`]);
  if (sizes.length === 0) return [];
  const lines = [
    'Scale: ingest (samples/s) and Q2 median (ms) by fleet size.',
    '',
    '| Devices | Ingest LP: sidecar | InfluxDB | ratio | Ingest RW: sidecar | Prometheus | ratio | Q2: sidecar | InfluxDB | Prometheus |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const d of sizes) {
    const lp = agg[`scale.${d}.lp`] ?? {};
    const rw = agg[`scale.${d}.rw`] ?? {};
    const q2 = agg[`scale.${d}.q2`] ?? {};
    lines.push(
      `| ${d.toLocaleString('en-US')} | ${cell(lp.sidecar, 'rate')} | ${cell(lp.influxdb, 'rate')} | ${ratio(lp.sidecar, lp.influxdb)} | ${cell(rw.sidecar, 'rate')} | ${cell(rw.prometheus, 'rate')} | ${ratio(rw.sidecar, rw.prometheus)} | ${cell(q2.sidecar, 'ms')} | ${cell(q2.influxdb, 'ms')} | ${cell(q2.prometheus, 'ms')} |`,
    );
  }
  return lines;
}

interface Goal {
  text: string;
  /** The measured figure as text, and whether it meets the goal; undefined when a figure is missing. */
  judge: (agg: ReturnType<typeof aggregate>) => { measured: string; met: boolean } | undefined;
}

const med = (agg: ReturnType<typeof aggregate>, key: string, t: TargetId) => agg[key]?.[t]?.median;

function ratioGoal(text: string, key: string, peer: Peer, bound: number, atLeast: boolean): Goal {
  return {
    text,
    judge: (agg) => {
      const s = med(agg, key, 'sidecar');
      const p = med(agg, key, peer);
      if (s === undefined || p === undefined) return undefined;
      const r = s / p;
      return { measured: `${r.toFixed(2)}×`, met: atLeast ? r >= bound : r <= bound };
    },
  };
}

function fasterPeerGoal(q: string, bound: number): Goal {
  return {
    text: `${q.toUpperCase()} median ≤ ${bound.toFixed(1)}× the faster peer`,
    judge: (agg) => {
      const s = med(agg, `${q}.median`, 'sidecar');
      const peers = BOTH.map((p) => med(agg, `${q}.median`, p)).filter((v): v is number => v !== undefined);
      if (s === undefined || peers.length === 0) return undefined;
      const r = s / Math.min(...peers);
      return { measured: `${r.toFixed(2)}×`, met: r <= bound };
    },
  };
}

export const GOALS: Goal[] = [
  ratioGoal('Ingest ≥ 1.0× InfluxDB', 'ingest.lp.rate', 'influxdb', 1.0, true),
  ratioGoal('Ingest ≥ 2× Prometheus', 'ingest.rw.rate', 'prometheus', 2.0, true),
  {
    text: 'On disk ≤ 1.5 bytes/sample',
    judge: (agg) => {
      const s = med(agg, 'disk.bytesPerSample', 'sidecar');
      return s === undefined ? undefined : { measured: `${s.toFixed(2)} bytes/sample`, met: s <= 1.5 };
    },
  },
  fasterPeerGoal('q1', 1.0),
  fasterPeerGoal('q2', 0.5),
  fasterPeerGoal('q3', 0.5),
  fasterPeerGoal('q4', 0.5),
  fasterPeerGoal('q5', 1.0),
  ratioGoal('Full recovery after SIGKILL ≤ InfluxDB', 'kill.queryable', 'influxdb', 1.0, false),
  {
    text: 'Peak RSS ≤ 300 MiB',
    judge: (agg) => {
      const values = ['rss.peak', 'ingest.lp.rss', 'ingest.rw.rss'].map((k) => med(agg, k, 'sidecar')).filter((v): v is number => v !== undefined);
      if (values.length === 0) return undefined;
      const peak = Math.max(...values);
      return { measured: `${(peak / 2 ** 20).toFixed(0)} MiB`, met: peak <= 300 * 2 ** 20 };
    },
  },
];

function renderTargets(agg: ReturnType<typeof aggregate>): string[] {
  const lines = ['Targets (issue 7):', '', '| Target | Measured | Met |', '| --- | ---: | --- |'];
  for (const goal of GOALS) {
    const j = goal.judge(agg);
    lines.push(`| ${goal.text} | ${j ? j.measured : '—'} | ${j ? (j.met ? 'yes' : 'no') : 'not measured'} |`);
  }
  return lines;
}
