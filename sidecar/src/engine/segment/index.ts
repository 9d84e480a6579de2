// The segment module's public surface: write a segment, open and read one, share a block cache.

export { BlockCache, DEFAULT_BLOCK_CACHE_BYTES } from './cache';
export type { BlockCacheStats } from './cache';
export type { BlockSummary } from './block';
export { SegmentReader, MAX_GAP_BYTES, MAX_READ_BYTES } from './reader';
export type { BlockRef, ReadBlocksOptions, SegmentReaderOptions, SeriesRequest } from './reader';
export type { BlockMeta, SeriesMeta } from './segment-index';
export { DEFAULT_BLOCK_SAMPLES, MAX_BLOCK_SAMPLES, SegmentInputError, writeSegment } from './writer';
export type { SegmentInfo, SegmentSeries, WriteSegmentOptions } from './writer';
