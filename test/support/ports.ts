import { freePorts } from '../../scripts/cluster/run';

/**
 * A port that was free a moment ago, with nothing listening on it now — picked below the kernel's
 * ephemeral range (32768–60999 here). A port from that range (what `listen(0)` hands out) can be
 * taken while its server is down, by any outgoing connection, or by a client that keeps dialling
 * the stopped server and connects to itself; a server restarted on it then fails with "address
 * already in use" (seen in a dev-server restart test).
 */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}
