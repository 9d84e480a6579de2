// The sidecar side of the PromQL tests: the real process (the built sidecar/dist/main.js) on
// 127.0.0.1 with its data in a temp dir, fed by remote write as Prometheus is, stopped by PID.
import { existsSync, mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { freePort, startProcess } from './processes';
import { remoteWrite, WriteSeries } from './remote-write';

export const SIDECAR_MAIN = join(__dirname, '..', '..', 'sidecar', 'dist', 'main.js');

export interface SidecarTarget {
  baseUrl: string;
  write(series: WriteSeries[]): Promise<void>;
  /** The value of an unlabelled metric on /metrics (e.g. sensorstore_head_samples). */
  metric(name: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The sidecar process with a read and a write token; `write` sends remote write with the write token.
 * `extraArgs` are further command-line options.
 */
export async function startSidecarProcess(tokens: { read: string; write: string }, extraArgs: string[] = []): Promise<SidecarTarget> {
  if (!existsSync(SIDECAR_MAIN)) throw new Error(`${SIDECAR_MAIN} is missing: build the sidecar first (npm run build -w sidecar)`);
  const dir = mkdtempSync(join(tmpdir(), 'promql-sidecar-'));
  const port = await freePort();
  const args = [SIDECAR_MAIN, '--data-dir', dir, '--host', '127.0.0.1', '--port', String(port), '--token-read', tokens.read, '--token-write', tokens.write, '--log-level', 'warn', ...extraArgs];
  const proc = await startProcess(process.execPath, args, `http://127.0.0.1:${port}`, '/ready', dir);
  return {
    baseUrl: proc.baseUrl,
    write: (series) => remoteWrite(proc.baseUrl, series, { Authorization: `Bearer ${tokens.write}` }),
    metric: async (name) => {
      const res = await fetch(`${proc.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${tokens.read}` } });
      const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `));
      if (!line) throw new Error(`/metrics has no ${name}`);
      return Number(line.slice(name.length + 1));
    },
    stop: proc.stop,
  };
}
