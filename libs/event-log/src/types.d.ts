declare module 'lz4js' {
  const lz4: { decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number };
  export default lz4;
}
declare module 'snappyjs' {
  const snappy: { uncompress(data: Uint8Array, maxLength?: number): Uint8Array };
  export default snappy;
}
