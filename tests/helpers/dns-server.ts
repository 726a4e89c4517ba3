import dgram from "node:dgram";

/**
 * A tiny authoritative DNS server for tests: answers A queries for the names it is given, an empty answer for
 * other types of a known name, NXDOMAIN otherwise. The egress proxy is pointed at it through EGRESS_DNS_SERVERS
 * (its ordinary configuration), so test host names resolve to test addresses.
 */
export async function startDnsServer(records: Record<string, string>): Promise<{ address: string; close(): Promise<void> }> {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (msg, rinfo) => {
    if (msg.length < 12) return;
    let offset = 12;
    const labels: string[] = [];
    while (offset < msg.length && msg[offset] !== 0) {
      const len = msg[offset];
      labels.push(msg.subarray(offset + 1, offset + 1 + len).toString("ascii"));
      offset += len + 1;
    }
    const question = msg.subarray(12, offset + 5);
    const type = msg.readUInt16BE(offset + 1);
    const name = labels.join(".").toLowerCase();
    const ip = records[name];
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    const answers: Buffer[] = [];
    if (ip && type === 1) {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(5, 6); // TTL
      rr.writeUInt16BE(4, 10);
      ip.split(".").forEach((octet, i) => rr.writeUInt8(Number(octet), 12 + i));
      answers.push(rr);
    }
    header.writeUInt16BE(0x8400 | (ip ? 0 : 3), 2); // response, authoritative, NOERROR or NXDOMAIN
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, question, ...answers]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
