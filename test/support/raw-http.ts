import net from 'node:net';

/**
 * Sends a POST with `Transfer-Encoding: chunked` and keep-alive whose body never ends and passes
 * any limit (1 MiB chunks until the server answers), then reports the answer's head and whether
 * the server closed the connection within `waitMs` of answering.
 */
export function sendOversizedChunked(
  port: number,
  path: string,
  headers: Record<string, string>,
  waitMs = 5_000,
): Promise<{ head: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let answered = false;
    let timer: NodeJS.Timeout | undefined;
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ head: received.split('\r\n\r\n')[0] ?? '', closed });
    };
    socket.on('error', (error) => (answered ? finish(true) : reject(error)));
    socket.on('data', (data) => {
      received += data.toString('latin1');
      if (!answered && received.includes('\r\n\r\n')) {
        answered = true;
        timer = setTimeout(() => finish(false), waitMs);
      }
    });
    socket.on('close', () => (answered ? finish(true) : reject(new Error('closed without an answer'))));
    socket.on('connect', () => {
      const lines = [
        `POST ${path} HTTP/1.1`,
        'Host: 127.0.0.1',
        'Connection: keep-alive',
        'Content-Type: application/x-protobuf',
        'Transfer-Encoding: chunked',
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
        '',
        '',
      ];
      socket.write(lines.join('\r\n'));
      const pump = () => {
        for (let i = 0; i < 64 && !answered && !socket.destroyed; i++) {
          socket.write(`${chunk.length.toString(16)}\r\n`);
          socket.write(chunk);
          socket.write('\r\n');
        }
      };
      pump();
    });
  });
}
