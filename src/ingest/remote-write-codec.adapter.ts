import type { RemoteWriteCodec } from './codec.port';
import {
  RemoteWriteError,
  checkContentEncoding,
  decompressSnappy,
  remoteWriteVersion,
  rewriteWriteRequest,
} from './remote-write.codec';

/** The byte-level codec behind the port the route depends on. */
export const remoteWriteCodec: RemoteWriteCodec = {
  version: remoteWriteVersion,
  checkContentEncoding,
  decompress: decompressSnappy,
  rewrite: rewriteWriteRequest,
  errorStatus: (error) => (error instanceof RemoteWriteError ? error.status : null),
};
