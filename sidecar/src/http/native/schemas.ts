// Request bodies of the native query API (docs/api.md), validated with zod; errors name the field.

import { z } from 'zod';

import { HttpError } from '../errors';
import { jsonPath } from '../ingest/json';

const timeMs = z.number().int().refine(Number.isSafeInteger, 'must be an integer number of ms within ±2^53');

export const matcherSchema = z
  .object({
    name: z.string().min(1),
    op: z.enum(['=', '!=', '=~', '!~']),
    value: z.string(),
  })
  .strict();

const matchers = z.array(matcherSchema).default([]);

export const querySchema = z
  .object({
    metric: z.string().min(1),
    matchers,
    start: timeMs,
    end: timeMs,
    step: z.number().int().positive().optional(),
    maxPoints: z.number().int().positive().optional(),
    raw: z.boolean().default(false),
    agg: z.enum(['avg', 'min', 'max', 'sum', 'count', 'first', 'last']).default('avg'),
    fill: z.enum(['none', 'null', 'previous', 'linear']).default('none'),
    groupBy: z.array(z.string().min(1)).optional(),
    crossAgg: z.enum(['avg', 'min', 'max', 'sum', 'count']).default('avg'),
    timeZone: z.string().min(1).optional(),
    limit: z.number().int().positive().optional(),
  })
  .strict();

export const latestSchema = z
  .object({
    metric: z.string().min(1),
    matchers,
    start: timeMs.optional(),
    end: timeMs.optional(),
    limit: z.number().int().positive().optional(),
  })
  .strict();

export const metadataSchema = z
  .object({
    matchers,
    metric: z.string().min(1).optional(),
    start: timeMs.optional(),
    end: timeMs.optional(),
    limit: z.number().int().positive().optional(),
    search: z.string().optional(),
  })
  .strict();

export type QueryBody = z.infer<typeof querySchema>;
export type LatestBody = z.infer<typeof latestSchema>;
export type MetadataBody = z.infer<typeof metadataSchema>;

/** The body validated against `schema`, or INVALID_REQUEST naming the field and what is wrong. */
export function validate<T extends z.ZodTypeAny>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = jsonPath(issue.path);
  const extra = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
  throw new HttpError('INVALID_REQUEST', `${field}: ${issue.message}${extra}`, { field });
}
