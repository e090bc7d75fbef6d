import type { RemoteWriteCodec } from '../domain/ports/remote-write-codec';
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
