// Every damaged byte and every truncation of a segment must be reported as a CorruptionError that
// names the file and an offset inside the damaged region; no read may return data.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeFileIO } from '../fs/node-io';
import { CorruptionError } from '../model/errors';
import { Random, testSeed } from '../query/testing/random';
import { crc32 } from './crc';
import { FOOTER_SIZE, HEADER_SIZE } from './layout';
import { SegmentReader } from './reader';
import { BytesFileIO } from './testing/bytes-io';
import { sensorSeries, tempDir } from './testing/fixtures';
import { writeSegment } from './writer';

const seed = testSeed();
const io = new BytesFileIO();
const path = '/segments/damaged';

/** Makes these bytes the content of the (in-memory) file at `path`. */
function install(bytes: Uint8Array): void {
  io.files.set(path, bytes);
}

interface Region {
  name: string;
  start: number;
  end: number;
  /** Header bytes are checked one by one, so the error names the byte itself. */
  exact?: boolean;
}

/** Opens the file and reads every series; returns the error, or undefined if all went through. */
async function readAll(path: string): Promise<unknown> {
  let reader: SegmentReader | undefined;
  try {
    reader = await SegmentReader.open(io, path);
    await reader.readSeries(reader.series.map((_, i) => ({ series: i })));
    return undefined;
  } catch (err) {
    return err;
  } finally {
    await reader?.close();
  }
}

function expectCorruptionIn(err: unknown, path: string, lo: number, hi: number, what: string): void {
  if (!(err instanceof CorruptionError)) throw new Error(`${what}: expected a CorruptionError, got ${String(err)}`);
  expect(err.file).toBe(path);
  if (err.offset < lo || err.offset > hi) throw new Error(`${what}: error at ${err.offset} (${err.detail}), expected within [${lo}, ${hi}]`);
}

describe(`segment damage (SEED=${seed})`, () => {
  let tmp: ReturnType<typeof tempDir>;
  let intact: Uint8Array;
  let regions: Region[];

  beforeAll(async () => {
    tmp = tempDir('ss-seg-damage-');
    const rnd = new Random(seed);
    const series = [
      sensorSeries(rnd, { __name__: 'humidity', device: 'a' }, 60),
      sensorSeries(rnd, { __name__: 'humidity', device: 'b' }, 45),
      sensorSeries(rnd, { __name__: 'pressure', device: 'a' }, 30),
    ];
    const nodeIO = new NodeFileIO();
    await writeSegment(nodeIO, tmp.dir, 'intact', series, { blockSamples: 25 });
    intact = readFileSync(join(tmp.dir, 'intact'));
    const reader = await SegmentReader.open(nodeIO, join(tmp.dir, 'intact'));
    const blocks = reader.series.flatMap((s) => s.blocks);
    await reader.close();
    const indexStart = blocks[blocks.length - 1].offset + blocks[blocks.length - 1].sizeBytes;
    const footerStart = intact.length - FOOTER_SIZE;
    regions = [
      { name: 'header', start: 0, end: HEADER_SIZE, exact: true },
      ...blocks.flatMap((b, i) => [
        { name: `block ${i} data`, start: b.offset, end: b.offset + b.sizeBytes - 4 },
        { name: `block ${i} CRC`, start: b.offset + b.sizeBytes - 4, end: b.offset + b.sizeBytes },
      ]),
      { name: 'index', start: indexStart, end: footerStart - 4 },
      { name: 'index CRC', start: footerStart - 4, end: footerStart },
      { name: 'footer fields', start: footerStart, end: footerStart + 48 },
      { name: 'footer version', start: footerStart + 48, end: footerStart + 52 },
      { name: 'footer CRC', start: footerStart + 52, end: footerStart + 56 },
      { name: 'trailing magic', start: footerStart + 56, end: intact.length },
    ];
    expect(regions.reduce((n, r) => n + r.end - r.start, 0)).toBe(intact.length);
  });
  afterAll(() => tmp.remove());

  /** The block record (payload and CRC) holding byte `at`: a damaged CRC names its block. */
  function reported(r: Region): { lo: number; hi: number } {
    if (r.exact) return { lo: r.start, hi: r.end - 1 };
    if (r.name.endsWith('CRC') && r.name.startsWith('block')) {
      const data = regions[regions.indexOf(r) - 1];
      return { lo: data.start, hi: r.end - 1 };
    }
    if (r.name.startsWith('index')) return { lo: regions.find((x) => x.name === 'index')!.start, hi: r.end - 1 };
    if (r.name.startsWith('footer') || r.name === 'trailing magic') return { lo: intact.length - FOOTER_SIZE, hi: intact.length - 1 };
    return { lo: r.start, hi: r.end - 1 };
  }

  it('reads the intact file', async () => {
    install(intact);
    expect(await readAll(path)).toBeUndefined();
  });

  it('reports a flipped byte anywhere in the file, inside its region', async () => {
    for (const region of regions) {
      for (let at = region.start; at < region.end; at++) {
        for (const mask of [0x01, 0xff]) {
          const damaged = Uint8Array.from(intact);
          damaged[at] ^= mask;
          install(damaged);
          const { lo, hi } = reported(region);
          expectCorruptionIn(await readAll(path), path, lo, hi, `${region.name}, byte ${at} ^ ${mask}`);
        }
      }
    }
  });

  it('reports a truncation at every length, near the cut', async () => {
    for (let cut = 0; cut < intact.length; cut++) {
      install(intact.subarray(0, cut));
      expectCorruptionIn(await readAll(path), path, Math.max(0, cut - FOOTER_SIZE), cut, `truncated to ${cut} bytes`);
    }
  });

  it('reports bytes appended after the footer', async () => {
    install(Buffer.concat([intact, Buffer.from('tail')]));
    expectCorruptionIn(await readAll(path), path, intact.length + 4 - FOOTER_SIZE, intact.length + 4, 'appended');
  });

  it('catches a whole block written over another of the same size (a misdirected write)', async () => {
    const blocks = regions.filter((r) => r.name.startsWith('block'));
    const records = blocks.filter((r) => r.name.endsWith('data')).map((d, i) => ({ start: d.start, end: blocks[2 * i + 1].end }));
    const pair = records.flatMap((a, i) => records.slice(i + 1).map((b) => [a, b] as const)).find(([a, b]) => a.end - a.start === b.end - b.start);
    expect(pair).toBeDefined();
    const [a, b] = pair!;
    const damaged = Uint8Array.from(intact);
    damaged.set(intact.subarray(a.start, a.end), b.start);
    install(damaged);
    expectCorruptionIn(await readAll(path), path, b.start, b.end - 1, 'block copied over another');
  });

  it('never crashes or hangs on a malformed block whose CRC matches (a checksum collision)', async () => {
    const blocks = regions.filter((r) => r.name.endsWith('data'));
    const edit = fc.record({ block: fc.nat({ max: blocks.length - 1 }), edits: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 8 }) });
    await fc.assert(
      fc.asyncProperty(edit, async ({ block, edits }) => {
        const { start, end } = blocks[block];
        const damaged = Uint8Array.from(intact);
        for (const [at, byte] of edits) damaged[start + (at % (end - start))] = byte;
        new DataView(damaged.buffer).setUint32(end, crc32(damaged.subarray(start, end)), true);
        install(damaged);
        const err = await readAll(path);
        // Edits that leave a well-formed block decode to other values: only the CRC could have told.
        if (err !== undefined) expectCorruptionIn(err, path, start, end + 3, `garbage in block ${block}`);
      }),
      { seed, numRuns: 400 },
    );
  });

  it('never crashes or hangs on a malformed index whose CRC matches', async () => {
    const index = regions.find((r) => r.name === 'index')!;
    const edits = fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(edits, async (list) => {
        const damaged = Uint8Array.from(intact);
        for (const [at, byte] of list) damaged[index.start + (at % (index.end - index.start))] = byte;
        new DataView(damaged.buffer).setUint32(index.end, crc32(damaged.subarray(index.start, index.end)), true);
        install(damaged);
        const err = await readAll(path);
        if (err !== undefined) expectCorruptionIn(err, path, HEADER_SIZE, intact.length - 1, 'garbage in the index');
      }),
      { seed, numRuns: 400 },
    );
  });
});
