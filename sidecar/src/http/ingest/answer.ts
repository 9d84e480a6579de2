// One ingest request = one atomic engine write, then one answer: 204 when everything was stored,
// otherwise an error naming every kind of rejection (lines, series, reasons) with the valid rest
// stored. Shared by every ingest format.

import { BuiltBatch, rememberRefs } from './batch';
import { describeSeries } from './names';
import { HttpError } from '../errors';
import { IngestFormat, SidecarMetrics } from '../metrics';
import { RejectReason, StorageEngine, WriteResult } from '../../engine/model/types';

/** Problems found before the engine saw the batch (parse errors, bad labels, unsupported parts). */
export interface DecodeProblems {
  /** Line-protocol lines rejected as malformed, with the first errors by line number. */
  rejectedLines?: number;
  lineErrors?: Array<{ line: number; message: string }>;
  /** Samples rejected while decoding, by reason, and the first of those errors. */
  rejectedSamples?: Partial<Record<RejectReason | 'unsupported', number>>;
  seriesErrors?: Array<{ series: string; message: string }>;
}

export interface StoreOutcome {
  result: WriteResult;
  /** The error to answer with, or undefined for 204. */
  error?: HttpError;
}

/** Writes the batch (one engine write, resolved once durable) and works out the answer. */
export async function storeBatch(
  engine: StorageEngine,
  built: BuiltBatch,
  problems: DecodeProblems,
  format: IngestFormat,
  metrics: SidecarMetrics,
): Promise<StoreOutcome> {
  const result =
    built.series.length > 0 ? await engine.writeColumns({ series: built.series, offsets: built.offsets, timestamps: built.times, values: built.values }) : emptyResult();
  rememberRefs(built, result);
  count(result, problems, format, metrics);
  return { result, error: answerError(built, result, problems) };
}

function emptyResult(): WriteResult {
  return { accepted: 0, rejected: 0, byReason: {}, rejections: [], refs: [] };
}

function count(result: WriteResult, problems: DecodeProblems, format: IngestFormat, metrics: SidecarMetrics): void {
  if (result.accepted > 0) metrics.ingestSamples.inc({ format }, result.accepted);
  const reasons = { ...problems.rejectedSamples };
  for (const [reason, n] of Object.entries(result.byReason)) {
    const key = reason as RejectReason;
    reasons[key] = (reasons[key] ?? 0) + (n ?? 0);
  }
  for (const [reason, n] of Object.entries(reasons)) if (n) metrics.ingestRejectedSamples.inc({ format, reason }, n);
  if (problems.rejectedLines) metrics.ingestRejectedLines.inc({ format }, problems.rejectedLines);
}

function answerError(built: BuiltBatch, result: WriteResult, problems: DecodeProblems): HttpError | undefined {
  const rejectedLines = problems.rejectedLines ?? 0;
  const byReason: Record<string, number> = {};
  for (const [reason, n] of [...Object.entries(problems.rejectedSamples ?? {}), ...Object.entries(result.byReason)]) {
    if (n) byReason[reason] = (byReason[reason] ?? 0) + n;
  }
  const rejectedSamples = Object.values(byReason).reduce((a, b) => a + b, 0);
  if (rejectedLines === 0 && rejectedSamples === 0) return undefined;

  const seriesErrors = [
    ...(problems.seriesErrors ?? []).map((e) => ({ ...e, reason: 'invalid_series' })),
    ...result.rejections.map((r) => ({ series: describeSeries(built.series[r.entry]?.labels ?? {}), reason: r.reason, samples: r.samples, message: r.message })),
  ].slice(0, 10);
  const parts: string[] = [];
  if (rejectedLines > 0) parts.push(`${rejectedLines} malformed line${rejectedLines === 1 ? '' : 's'} (first: line ${problems.lineErrors?.[0]?.line}: ${problems.lineErrors?.[0]?.message})`);
  if (rejectedSamples > 0) {
    const reasons = Object.entries(byReason).map(([reason, n]) => `${n} ${reason}`).join(', ');
    parts.push(`${rejectedSamples} rejected sample${rejectedSamples === 1 ? '' : 's'} (${reasons}; first: ${seriesErrors[0]?.series}: ${seriesErrors[0]?.message})`);
  }
  const details = {
    storedSamples: result.accepted,
    rejectedLines,
    rejectedSamples,
    byReason,
    lineErrors: problems.lineErrors ?? [],
    seriesErrors,
  };
  const message = `${parts.join('; ')}. ${result.accepted} valid sample${result.accepted === 1 ? ' was' : 's were'} stored.`;
  const code = byReason.cardinality_limit ? 'CARDINALITY_LIMIT' : 'PARTIAL_WRITE';
  return new HttpError(code, message, details);
}
