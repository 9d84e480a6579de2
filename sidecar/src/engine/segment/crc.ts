// CRC32 (IEEE, as in zlib and PNG) over segment blocks, index and footer, as an unsigned number.

import { buf as crc32Signed } from 'crc-32';

export function crc32(bytes: Uint8Array): number {
  return crc32Signed(bytes) >>> 0;
}
