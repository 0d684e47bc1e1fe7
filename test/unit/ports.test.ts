import net from 'node:net';
import { freePort, freePorts } from '../support/ports';

/** The suite's ports come from one place: below the kernel's ephemeral range, distinct, and nothing listening. */

const refused = (port: number): Promise<string> =>
  new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });

test('free ports are distinct, below 32768, and refuse connections', async () => {
  const ports = [...(await freePorts(3)), await freePort()];
  expect(ports.slice(0, 3)).toEqual([...new Set(ports.slice(0, 3))]);
  for (const port of ports) {
    expect(port).toBeGreaterThanOrEqual(20000);
    expect(port).toBeLessThan(32768);
    expect(await refused(port)).toBe('ECONNREFUSED');
  }
});
