/**
 * The least a PostgreSQL relay in Node.js can do: every byte from the client written to the
 * server and back, nothing parsed, one 'data' handler and one write per chunk each way. The
 * bench runs it as the floor under the gate: what the runtime's sockets cost alone.
 * Usage: node node-relay-main.js LISTEN_PORT SERVER_HOST SERVER_PORT
 */
import { connect, createServer, type Socket } from 'node:net';

const [listenPort, serverHost, serverPort] = process.argv.slice(2);
if (listenPort === undefined || serverHost === undefined || serverPort === undefined) {
  process.stderr.write('usage: node-relay-main.js LISTEN_PORT SERVER_HOST SERVER_PORT\n');
  process.exit(2);
}

function relay(from: Socket, to: Socket): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('close', () => to.destroy());
  from.on('error', () => to.destroy());
}

const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ host: serverHost, port: Number(serverPort), noDelay: true });
  relay(client, upstream);
  relay(upstream, client);
});
server.listen(Number(listenPort), '127.0.0.1', () => {
  process.stdout.write(`node relay listening on 127.0.0.1:${listenPort}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
