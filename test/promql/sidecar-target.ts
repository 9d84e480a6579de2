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
  stop(): Promise<void>;
}

/** The sidecar process with a read and a write token; `write` sends remote write with the write token. */
export async function startSidecarProcess(tokens: { read: string; write: string }): Promise<SidecarTarget> {
  if (!existsSync(SIDECAR_MAIN)) throw new Error(`${SIDECAR_MAIN} is missing: build the sidecar first (npm run build -w sidecar)`);
  const dir = mkdtempSync(join(tmpdir(), 'promql-sidecar-'));
  const port = await freePort();
  const args = [SIDECAR_MAIN, '--data-dir', dir, '--host', '127.0.0.1', '--port', String(port), '--token-read', tokens.read, '--token-write', tokens.write, '--log-level', 'warn'];
  const proc = await startProcess(process.execPath, args, `http://127.0.0.1:${port}`, '/ready', dir);
  return {
    baseUrl: proc.baseUrl,
    write: (series) => remoteWrite(proc.baseUrl, series, { Authorization: `Bearer ${tokens.write}` }),
    stop: proc.stop,
  };
}
