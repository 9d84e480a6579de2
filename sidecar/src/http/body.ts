// Reads request bodies into one Buffer under the body size limit, and decodes gzip and deflate
// without ever holding more than the limit (a small gzip body can expand a thousandfold).

import { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';

import { HttpError } from './errors';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

function tooLarge(maxBytes: number, what: string): HttpError {
  return new HttpError('BODY_TOO_LARGE', `the ${what} exceeds the body size limit of ${maxBytes} bytes; nothing was stored`, { limit: maxBytes }, { Connection: 'close' });
}

/** The raw bytes of the body, refused (413) as soon as they pass `maxBytes`. */
export function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > maxBytes) {
      reject(tooLarge(maxBytes, `request body (Content-Length ${declared})`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error?: HttpError): void => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        settle(tooLarge(maxBytes, 'request body'));
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => settle());
    req.on('error', (e) => settle(new HttpError('INVALID_REQUEST', `the request body could not be read: ${e.message}`)));
    req.on('close', () => settle(new HttpError('INVALID_REQUEST', 'the client closed the connection before the body was complete')));
  });
}

/** Decodes the body per its Content-Encoding (identity, gzip, deflate), keeping the result under `maxBytes`. */
export async function decodeBody(raw: Buffer, encoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const name = (encoding ?? 'identity').trim().toLowerCase();
  if (name === 'identity' || name === '') return raw;
  if (name !== 'gzip' && name !== 'x-gzip' && name !== 'deflate') {
    throw new HttpError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${JSON.stringify(encoding)} is not supported; use gzip, deflate or none`);
  }
  try {
    const options = { maxOutputLength: maxBytes };
    return name === 'deflate' ? await inflateAsync(raw, options) : await gunzipAsync(raw, options);
  } catch (e) {
    const error = e as NodeJS.ErrnoException;
    if (error.code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) throw tooLarge(maxBytes, `decompressed ${name} body`);
    throw new HttpError('INVALID_REQUEST', `the ${name} body could not be decompressed: ${error.message}`);
  }
}

/** The body, read and decoded. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const raw = await readRawBody(req, maxBytes);
  return decodeBody(raw, req.headers['content-encoding'], maxBytes);
}

/** The body parsed as JSON; errors name the position. */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const body = await readBody(req, maxBytes);
  if (body.length === 0) throw new HttpError('INVALID_REQUEST', 'the request body is empty; send a JSON object');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new HttpError('INVALID_REQUEST', `the request body is not valid JSON: ${(e as Error).message}`);
  }
}
