import type { RemoteWriteVersion } from '../../domain/ports/remote-write-codec';
import { RemoteWriteError } from './errors';
import { PROTOBUF_MEDIA_TYPE, PROTO_V1, PROTO_V2 } from './limits';

/** From Content-Type (missing = 1.0; `application/x-protobuf`, `;proto=prometheus.WriteRequest` = 1.0; `;proto=io.prometheus.write.v2.Request` = 2.0; anything else 415). Parameters case-insensitive, whitespace tolerant. */
export function remoteWriteVersion(contentType: string | undefined): RemoteWriteVersion {
  // 1.0 spec: a missing Content-Type is a 1.0 request (Prometheus' write_handler.go does the same).
  if (contentType === undefined || contentType.trim() === '') return '1.0';
  const [media = '', ...params] = contentType.split(';');
  if (media.trim().toLowerCase() !== PROTOBUF_MEDIA_TYPE)
    throw new RemoteWriteError(
      415,
      `unsupported Content-Type ${JSON.stringify(contentType)}: expected ${PROTOBUF_MEDIA_TYPE}`,
    );
  for (const param of params) {
    if (param.trim() === '') continue; // tolerate a trailing ';'
    const eq = param.indexOf('=');
    // RFC 9110 §5.6.6: a parameter is name=value; a bare token is malformed.
    if (eq < 0)
      throw new RemoteWriteError(415, `malformed Content-Type parameter ${JSON.stringify(param.trim())}`);
    if (param.slice(0, eq).trim().toLowerCase() !== 'proto') continue;
    let value = param.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    const proto = value.toLowerCase();
    if (proto === PROTO_V1) return '1.0';
    if (proto === PROTO_V2) return '2.0';
    throw new RemoteWriteError(
      415,
      `unsupported proto=${JSON.stringify(value)}: expected prometheus.WriteRequest or io.prometheus.write.v2.Request`,
    );
  }
  return '1.0';
}

/** Checks Content-Encoding: only `snappy` (case-insensitive) is accepted; gzip, deflate, zstd... -> 415. An absent header is taken as snappy (see below). */
export function checkContentEncoding(value: string | undefined): void {
  // The spec makes `Content-Encoding: snappy` a sender MUST, but Prometheus' own receiver assumes
  // snappy when the header is missing ("don't break yolo 1.0 clients", write_handler.go), and a 4xx
  // drops the data for good. So absent = snappy; the body must still be a valid snappy block (else 400).
  if (value === undefined) return;
  const enc = value.trim().toLowerCase();
  if (enc === '' || enc === 'snappy') return;
  throw new RemoteWriteError(
    415,
    `unsupported Content-Encoding ${JSON.stringify(value)}: only snappy is accepted`,
  );
}
