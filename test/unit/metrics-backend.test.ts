import net from 'node:net';
import { createMetricsWriter } from '../../src/ingest/metrics-backend';

/**
 * A backend on a raw socket that answers the first request of each connection and drops the
 * connection when a second request arrives on it: what a backend closing an idle kept-alive
 * connection looks like to a request sent on it at that moment.
 */
async function closingBackend(): Promise<{
  url: string;
  connections: () => number;
  stop: () => Promise<void>;
}> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    let requests = 0;
    socket.on('data', (chunk) => {
      if (!chunk.toString('latin1').startsWith('POST ')) return; // rest of a body
      requests += 1;
      if (requests === 1) socket.write('HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n');
      else socket.destroy();
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    connections: () => connections,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('metrics backend writer', () => {
  it('sends a request again on a fresh socket when a kept-alive one was closed under it', async () => {
    const backend = await closingBackend();
    const writer = createMetricsWriter({
      writeUrl: backend.url,
      tenantHeader: 'THANOS-TENANT',
      timeoutMs: 2000,
    });
    try {
      expect(await writer.write(Buffer.from('a'), 't')).toEqual({ kind: 'written' });
      expect(await writer.write(Buffer.from('b'), 't')).toEqual({ kind: 'written' });
      expect(backend.connections()).toBe(2);
    } finally {
      await writer.close();
      await backend.stop();
    }
  });

  it('answers "no metrics backend configured" when no URL is set', async () => {
    const writer = createMetricsWriter({ tenantHeader: 'THANOS-TENANT', timeoutMs: 1000 });
    expect(await writer.write(Buffer.from('a'), 't')).toEqual({
      kind: 'unavailable',
      reason: 'no metrics backend configured',
    });
  });

  it('calls a refused connection unreachable, without retrying for ever', async () => {
    const backend = await closingBackend();
    const url = backend.url;
    await backend.stop();
    const writer = createMetricsWriter({ writeUrl: url, tenantHeader: 'THANOS-TENANT', timeoutMs: 1000 });
    const outcome = await writer.write(Buffer.from('a'), 't');
    expect(outcome).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('ECONNREFUSED') });
    await writer.close();
  });
});
