/**
 * MongoProxy: a loopback TCP proxy between a MongoDB driver and a server, for tests.
 *
 * It frames the client->server byte stream into wire-protocol messages so it can
 * count commands by name and inject faults (refused connections, drops, latency,
 * synthetic command errors). Server->client bytes are piped through untouched.
 * TLS or compressed traffic is forwarded but cannot be inspected.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { BSON } from 'mongodb';
import { ConnectionString } from 'mongodb-connection-string-url';

const OP_QUERY = 2004;
const OP_COMPRESSED = 2012;
const OP_MSG = 2013;
const HEADER_SIZE = 16;
const CHECKSUM_PRESENT = 1 << 0;
const MORE_TO_COME = 1 << 1;
// Well above the server's 48MB maxMessageSizeBytes; anything larger means a corrupt stream.
const MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

export interface MongoProxyOptions {
  upstreamHost: string;
  upstreamPort: number;
  /** Local port to listen on; 0 (default) picks a free one. */
  port?: number;
}

export interface CommandFailure {
  code: number;
  codeName?: string;
  errmsg?: string;
  /** More fields of the reply, as a server adds them (e.g. `keyPattern` on a duplicate key). */
  fields?: Record<string, unknown>;
}

interface ArmedFailure {
  reply: { ok: 0; errmsg: string; code: number; codeName: string } & Record<string, unknown>;
  remaining: number;
}

/** One proxied client connection and its upstream twin. */
interface Link {
  client: Socket;
  upstream: Socket;
  chunks: Buffer[];
  size: number;
  /** Tail of this connection's delayed-delivery queue; keeps messages in order. */
  tail: Promise<void>;
  queued: number;
  closed: boolean;
}

interface ParsedMessage {
  opCode: number;
  requestId: number;
  moreToCome: boolean;
  name: string | undefined;
}

export class MongoProxy {
  readonly host = '127.0.0.1';
  port = 0;

  private readonly links = new Set<Link>();
  private readonly failures = new Map<string, ArmedFailure>();
  private tally: Record<string, number> = {};
  private log: string[] = [];
  private refusing = false;
  private blackHoling = false;
  private delayMs = 0;
  private nextRequestId = 1;
  private closed = false;
  private readonly server: Server;
  // Parts of the original URI (fromUri) that uri() carries over.
  /** The upstream's connection string, when started from one: uri() keeps its credentials, database and options. */
  private upstream: ConnectionString | undefined;

  private constructor(private readonly opts: MongoProxyOptions) {
    this.server = createServer((socket) => this.onConnection(socket));
    this.server.on('error', () => {}); // listen errors surface through start()
  }

  static async start(opts: MongoProxyOptions): Promise<MongoProxy> {
    const proxy = new MongoProxy(opts);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(opts.port ?? 0, proxy.host, () => {
        proxy.server.off('error', reject);
        resolve();
      });
    });
    const address = proxy.server.address();
    if (address === null || typeof address === 'string') throw new Error('MongoProxy: unexpected listen address');
    proxy.port = address.port;
    return proxy;
  }

  /** Starts a proxy in front of the first host of a mongodb:// URI. */
  static async fromUri(uri: string, opts: { port?: number } = {}): Promise<MongoProxy> {
    const upstream = new ConnectionString(uri);
    if (upstream.isSRV) throw new Error('MongoProxy: SRV connection strings cannot be proxied; give host:port.');
    const first = upstream.hosts[0] ?? '127.0.0.1:27017';
    // hosts are "host[:port]", IPv6 bracketed: [::1]:27017
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(first);
    const host = (match?.[1] ?? first).replace(/^\[|\]$/g, '');
    const proxy = await MongoProxy.start({ upstreamHost: host, upstreamPort: Number(match?.[2] ?? 27017), port: opts.port ?? 0 });
    proxy.upstream = upstream;
    return proxy;
  }

  /** URI for the driver. directConnection=true stops it from chasing the upstream's advertised hosts. */
  uri(dbName?: string): string {
    const cs = this.upstream ? this.upstream.clone() : new ConnectionString('mongodb://127.0.0.1/');
    cs.hosts = [`${this.host}:${this.port}`];
    if (dbName !== undefined) cs.pathname = `/${dbName}`;
    cs.searchParams.set('directConnection', 'true');
    return cs.toString();
  }

  get connectionCount(): number {
    return this.links.size;
  }

  // ---- counting ----

  counts(): Record<string, number> {
    return { ...this.tally };
  }

  count(...names: string[]): number {
    return names.reduce((sum, name) => sum + (this.tally[name] ?? 0), 0);
  }

  commandLog(): string[] {
    return [...this.log];
  }

  resetCounts(): void {
    this.tally = {};
    this.log = [];
  }

  // ---- faults ----

  /** New connections are accepted then destroyed at once; existing ones keep working. */
  refuse(): void {
    this.refusing = true;
  }

  accept(): void {
    this.refusing = false;
  }

  setMode(mode: 'accept' | 'refuse'): void {
    this.refusing = mode === 'refuse';
  }

  /**
   * A hung server: connections (old and new) stay open, but every message from the
   * driver is swallowed and nothing is ever answered. `forward()` ends it
   * for messages sent afterwards; swallowed ones stay unanswered.
   */
  blackHole(): void {
    this.blackHoling = true;
  }

  /** Forwards messages again after `blackHole()`. */
  forward(): void {
    this.blackHoling = false;
  }

  dropAll(): void {
    for (const link of [...this.links]) this.teardown(link);
  }

  /** Forward each client->server message `ms` after it arrived; 0 turns delaying off. */
  delay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  /** Answer the next `times` OP_MSG commands called `name` with an error instead of forwarding them. */
  failCommand(name: string, failure: CommandFailure, { times = Infinity }: { times?: number } = {}): void {
    const reply = {
      ...failure.fields,
      ok: 0 as const,
      errmsg: failure.errmsg ?? `MongoProxy: failing command '${name}'`,
      code: failure.code,
      codeName: failure.codeName ?? 'MongoProxyFailure',
    };
    this.failures.set(name, { reply, remaining: times });
  }

  clearFailures(): void {
    this.failures.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- plumbing ----

  private onConnection(client: Socket): void {
    client.on('error', () => {});
    if (this.refusing || this.closed) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: this.opts.upstreamHost, port: this.opts.upstreamPort });
    const link: Link = { client, upstream, chunks: [], size: 0, tail: Promise.resolve(), queued: 0, closed: false };
    this.links.add(link);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    // An unreachable upstream (or either side hanging up) just ends the pair.
    upstream.on('error', () => this.teardown(link));
    upstream.on('close', () => this.teardown(link));
    client.on('close', () => this.teardown(link));
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => this.onClientData(link, chunk));
  }

  private teardown(link: Link): void {
    if (link.closed) return;
    link.closed = true;
    this.links.delete(link);
    link.client.destroy();
    link.upstream.destroy();
  }

  /** Reassembles whole messages: TCP may split one message or carry several per chunk. */
  private onClientData(link: Link, chunk: Buffer): void {
    link.chunks.push(chunk);
    link.size += chunk.length;
    while (!link.closed && link.size >= 4) {
      let head = link.chunks[0];
      if (head === undefined || head.length < 4) head = this.mergeChunks(link);
      const length = head.readInt32LE(0);
      if (length < HEADER_SIZE || length > MAX_MESSAGE_SIZE) {
        this.teardown(link); // not a wire-protocol stream we can frame
        return;
      }
      if (link.size < length) return;
      const all = this.mergeChunks(link);
      const rest = all.subarray(length);
      link.chunks = rest.length > 0 ? [rest] : [];
      link.size = rest.length;
      this.onClientMessage(link, all.subarray(0, length));
    }
  }

  private mergeChunks(link: Link): Buffer {
    const merged = link.chunks.length === 1 && link.chunks[0] ? link.chunks[0] : Buffer.concat(link.chunks, link.size);
    link.chunks = [merged];
    return merged;
  }

  private onClientMessage(link: Link, message: Buffer): void {
    const parsed = parseMessage(message);
    if (parsed.name !== undefined) {
      this.tally[parsed.name] = (this.tally[parsed.name] ?? 0) + 1;
      this.log.push(parsed.name);
    }
    if (this.blackHoling) return;
    // Decide now, not at delivery time, so `times` follows arrival order.
    const failure = parsed.opCode === OP_MSG && parsed.name !== undefined ? this.takeFailure(parsed.name) : undefined;
    if (failure === undefined) {
      this.schedule(link, () => {
        // Respect backpressure so a slow upstream doesn't buffer unbounded data here.
        if (!link.upstream.write(message)) {
          link.client.pause();
          link.upstream.once('drain', () => link.client.resume());
        }
      });
    } else if (!parsed.moreToCome) {
      const reply = this.buildReply(parsed.requestId, failure);
      this.schedule(link, () => link.client.write(reply));
    } // with moreToCome the client expects no answer: the message is simply dropped
  }

  private takeFailure(name: string): ArmedFailure['reply'] | undefined {
    const armed = this.failures.get(name);
    if (armed === undefined) return undefined;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.failures.delete(name);
    return armed.reply;
  }

  /** Runs `action` now, or after the configured delay, always in per-connection order. */
  private schedule(link: Link, action: () => void): void {
    if (this.delayMs === 0 && link.queued === 0) {
      action();
      return;
    }
    const dueAt = Date.now() + this.delayMs;
    link.queued += 1;
    link.tail = link.tail
      .then(() => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, dueAt - Date.now())).unref()))
      .then(() => {
        link.queued -= 1;
        if (!link.closed) action();
      });
  }

  private buildReply(responseTo: number, doc: ArmedFailure['reply']): Buffer {
    const body = BSON.serialize(doc);
    const head = Buffer.alloc(HEADER_SIZE + 5);
    head.writeInt32LE(head.length + body.length, 0);
    head.writeInt32LE(this.nextRequestId, 4);
    head.writeInt32LE(responseTo, 8);
    head.writeInt32LE(OP_MSG, 12);
    head.writeUInt32LE(0, 16); // flagBits
    head.writeUInt8(0, 20); // section kind 0
    this.nextRequestId = (this.nextRequestId % 0x7fffffff) + 1;
    return Buffer.concat([head, body]);
  }
}

/** Reads the header and, for OP_MSG / OP_QUERY, the command name. Never throws. */
function parseMessage(msg: Buffer): ParsedMessage {
  const requestId = msg.readInt32LE(4);
  const opCode = msg.readInt32LE(12);
  const parsed: ParsedMessage = { opCode, requestId, moreToCome: false, name: undefined };
  try {
    if (opCode === OP_MSG) {
      const flags = msg.readUInt32LE(16);
      parsed.moreToCome = (flags & MORE_TO_COME) !== 0;
      const end = msg.length - ((flags & CHECKSUM_PRESENT) !== 0 ? 4 : 0);
      let offset = 20;
      while (offset < end) {
        const kind = msg.readUInt8(offset);
        offset += 1;
        const size = msg.readInt32LE(offset); // both section kinds start with an int32 size
        if (kind === 0) {
          parsed.name = firstKey(msg.subarray(offset, offset + size));
          break;
        }
        offset += size; // kind 1: document sequence, not needed for the name
      }
    } else if (opCode === OP_QUERY) {
      const nameEnd = msg.indexOf(0, 20); // end of fullCollectionName cstring
      const docStart = nameEnd + 1 + 8; // skip numberToSkip + numberToReturn
      const query = BSON.deserialize(msg.subarray(docStart, docStart + msg.readInt32LE(docStart)));
      const key = Object.keys(query)[0];
      const wrapped: unknown = key === '$query' ? query.$query : undefined;
      parsed.name = wrapped !== null && typeof wrapped === 'object' ? Object.keys(wrapped)[0] : key;
    } else if (opCode === OP_COMPRESSED) {
      parsed.name = 'compressed';
    }
  } catch {
    // Malformed or truncated body: forward it uncounted and let the server complain.
  }
  return parsed;
}

/** The first key of a BSON document: a command's name. */
function firstKey(doc: Buffer): string | undefined {
  return Object.keys(BSON.deserialize(doc))[0];
}
