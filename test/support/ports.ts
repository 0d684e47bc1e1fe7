import { freePorts as belowEphemeral } from '../../scripts/cluster/run';

/**
 * Ports for tests, all from here: a port that was free a moment ago, with nothing listening on it
 * now — picked below the kernel's ephemeral range (32768–60999 here). A port from that range (what
 * `listen(0)` hands out) can be taken while its server is down, by any outgoing connection, or by a
 * client that keeps dialling the stopped server and connects to itself; a server restarted on it
 * then fails with "address already in use" (seen in a dev-server restart test). The same ports do
 * for "nothing listens here" (connection refused), with no ephemeral port to race for.
 */
export async function freePort(): Promise<number> {
  return (await belowEphemeral(1))[0]!;
}

/** `n` distinct such ports (a server that needs several, e.g. Qdrant's HTTP and gRPC). */
export function freePorts(n: number): Promise<number[]> {
  return belowEphemeral(n);
}
