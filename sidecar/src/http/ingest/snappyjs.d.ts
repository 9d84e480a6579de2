// Types for snappyjs (it ships none): raw snappy blocks, as Prometheus remote write uses them.
declare module 'snappyjs' {
  /** @throws Error when the block is invalid or would expand beyond `maxLength` bytes. */
  export function uncompress<T extends Uint8Array | ArrayBuffer>(compressed: T, maxLength?: number): T;
  export function compress<T extends Uint8Array | ArrayBuffer>(uncompressed: T): T;
}
