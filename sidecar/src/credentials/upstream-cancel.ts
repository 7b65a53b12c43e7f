import { serialize } from 'pg-protocol';
import { openUpstreamSocket, type UpstreamTarget } from './upstream-socket.js';

/**
 * Sends a CancelRequest with the backend's real key on a new connection, as the protocol
 * requires; the server answers nothing and closes it.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-CANCELING-REQUESTS
 */
export async function cancelUpstream(
  target: UpstreamTarget,
  processId: number,
  secretKey: number,
): Promise<void> {
  const socket = await openUpstreamSocket(target, 5_000);
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
    socket.setTimeout(5_000, () => socket.destroy());
    socket.resume();
    socket.end(serialize.cancel(processId, secretKey));
  });
}
