import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

/*
 * The RTMP ingest of the local IVS: enough of RTMP (Adobe's RTMP 1.0 specification: the plain handshake, the
 * chunk stream, AMF0 commands) for OBS and ffmpeg to publish, and nothing for playing. node-media-server
 * would do this too, but it brings a whole media server (4.x: Express 5 with its own admin API, JWT and
 * rate-limit middleware; 2.x: Express 4) for the one decision that matters here; and ffmpeg's own
 * `-listen 1` RTMP server takes any stream name (it only warns about a mismatch) and one publisher per port.
 * IVS refuses a key it does not know before any media flows, so the key check must sit in the server.
 *
 * The server answers `connect`, `createStream` and `publish`, asks `authorize(app, streamKey)` whether the
 * publisher may go on, and hands every audio, video and data message to the session as an FLV tag, which
 * ffmpeg reads from a pipe (`-f flv -i pipe:0`) to cut HLS.
 */

export interface RtmpPublish {
  /** A tag of the FLV stream: audio 8, video 9, script data 18, with its RTMP timestamp. */
  onTag(type: number, timestamp: number, payload: Buffer): void;
  /** The publisher went away (unpublished, closed, or was disconnected). Called once. */
  onEnd(): void;
}

/** A publisher to accept, or a reason to refuse it as IVS does (`NetStream.Publish.BadName`). */
export type RtmpAuthorization =
  { readonly ok: true; readonly session: RtmpPublish } | { readonly ok: false; readonly reason: string };

export interface RtmpIngestOptions {
  readonly port?: number;
  readonly host?: string;
  /** Decides on a `publish`: the application name of `connect` and the stream key. */
  readonly authorize: (app: string, streamKey: string, disconnect: () => void) => RtmpAuthorization;
  readonly log?: (line: string) => void;
}

const HANDSHAKE_SIZE = 1536;
/** Every chunk stream starts at 128 bytes per chunk until the peer says otherwise. */
const DEFAULT_CHUNK_SIZE = 128;
const OUT_CHUNK_SIZE = 4096;
const WINDOW_ACK_SIZE = 5_000_000;
/** A message larger than this is no audio or video frame a lecture sends; refuse rather than buffer it. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

// AMF0, as RTMP commands carry it.
type Amf = number | boolean | string | null | undefined | AmfObject | Amf[];
interface AmfObject {
  [key: string]: Amf;
}

function readAmf(buf: Buffer, pos: number): [Amf, number] {
  const marker = buf[pos];
  switch (marker) {
    case 0x00:
      return [buf.readDoubleBE(pos + 1), pos + 9];
    case 0x01:
      return [buf[pos + 1] !== 0, pos + 2];
    case 0x02: {
      const len = buf.readUInt16BE(pos + 1);
      return [buf.toString('utf8', pos + 3, pos + 3 + len), pos + 3 + len];
    }
    case 0x03:
    case 0x08: {
      let p = marker === 0x08 ? pos + 5 : pos + 1;
      const obj: AmfObject = {};
      for (;;) {
        const len = buf.readUInt16BE(p);
        if (len === 0 && buf[p + 2] === 0x09) return [obj, p + 3];
        const key = buf.toString('utf8', p + 2, p + 2 + len);
        const [value, next] = readAmf(buf, p + 2 + len);
        obj[key] = value;
        p = next;
      }
    }
    case 0x05:
      return [null, pos + 1];
    case 0x06:
      return [undefined, pos + 1];
    case 0x0a: {
      const count = buf.readUInt32BE(pos + 1);
      const items: Amf[] = [];
      let p = pos + 5;
      for (let i = 0; i < count; i++) {
        const [value, next] = readAmf(buf, p);
        items.push(value);
        p = next;
      }
      return [items, p];
    }
    case 0x0b:
      return [buf.readDoubleBE(pos + 1), pos + 11];
    case 0x0c: {
      const len = buf.readUInt32BE(pos + 1);
      return [buf.toString('utf8', pos + 5, pos + 5 + len), pos + 5 + len];
    }
    default:
      throw new Error(`AMF0 marker ${marker} is not supported`);
  }
}

function readAmfAll(buf: Buffer): Amf[] {
  const values: Amf[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [value, next] = readAmf(buf, pos);
    values.push(value);
    pos = next;
  }
  return values;
}

function writeAmf(value: Amf): Buffer {
  if (typeof value === 'number') {
    const b = Buffer.alloc(9);
    b[0] = 0x00;
    b.writeDoubleBE(value, 1);
    return b;
  }
  if (typeof value === 'boolean') return Buffer.from([0x01, value ? 1 : 0]);
  if (typeof value === 'string') {
    const s = Buffer.from(value, 'utf8');
    const h = Buffer.alloc(3);
    h[0] = 0x02;
    h.writeUInt16BE(s.length, 1);
    return Buffer.concat([h, s]);
  }
  if (value === null || value === undefined || Array.isArray(value)) return Buffer.from([0x05]);
  const parts: Buffer[] = [Buffer.from([0x03])];
  for (const [k, v] of Object.entries(value)) {
    const key = Buffer.from(k, 'utf8');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(key.length);
    parts.push(len, key, writeAmf(v));
  }
  parts.push(Buffer.from([0x00, 0x00, 0x09]));
  return Buffer.concat(parts);
}

interface ChunkState {
  timestamp: number;
  delta: number;
  length: number;
  typeId: number;
  streamId: number;
  extended: boolean;
  parts: Buffer[];
  received: number;
}

/** What `@setDataFrame` prefixes onto `onMetaData` over RTMP; FLV files carry `onMetaData` alone. */
const SET_DATA_FRAME = writeAmf('@setDataFrame');

/** One publisher's connection: the handshake, then chunks in, commands answered. */
class RtmpConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private stage: 'c0c1' | 'c2' | 'chunks' = 'c0c1';
  private inChunkSize = DEFAULT_CHUNK_SIZE;
  private readonly chunks = new Map<number, ChunkState>();
  private app = '';
  private session: RtmpPublish | undefined;
  private ackWindow = 0;
  private bytesIn = 0;
  private lastAck = 0;
  private ended = false;

  constructor(
    private readonly socket: Socket,
    private readonly options: RtmpIngestOptions,
  ) {
    socket.on('data', (data: Buffer) => {
      try {
        this.bytesIn += data.length;
        this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
        this.process();
        this.acknowledge();
      } catch (error) {
        this.log(`rtmp: dropping a publisher: ${(error as Error).message}`);
        socket.destroy();
      }
    });
    socket.on('close', () => this.end());
    socket.on('error', () => undefined);
  }

  private log(line: string) {
    this.options.log?.(line);
  }

  private end() {
    if (this.ended) return;
    this.ended = true;
    const session = this.session;
    this.session = undefined;
    session?.onEnd();
  }

  private process() {
    for (;;) {
      if (this.stage === 'c0c1') {
        if (this.buffer.length < 1 + HANDSHAKE_SIZE) return;
        if (this.buffer[0] !== 3) throw new Error(`RTMP version ${this.buffer[0]} is not 3`);
        const c1 = this.buffer.subarray(1, 1 + HANDSHAKE_SIZE);
        // S1: time, zeros (the plain handshake, which OBS and ffmpeg accept), random; S2 echoes C1.
        const s1 = Buffer.concat([Buffer.alloc(8), randomBytes(HANDSHAKE_SIZE - 8)]);
        this.socket.write(Buffer.concat([Buffer.from([3]), s1, c1]));
        this.buffer = this.buffer.subarray(1 + HANDSHAKE_SIZE);
        this.stage = 'c2';
      } else if (this.stage === 'c2') {
        if (this.buffer.length < HANDSHAKE_SIZE) return;
        this.buffer = this.buffer.subarray(HANDSHAKE_SIZE);
        this.stage = 'chunks';
      } else if (!this.readChunk()) {
        return;
      }
    }
  }

  /** Reads one chunk if the buffer holds all of it; false when more bytes are needed. */
  private readChunk(): boolean {
    const buf = this.buffer;
    if (buf.length < 1) return false;
    const fmt = buf[0]! >> 6;
    let csid = buf[0]! & 0x3f;
    let pos = 1;
    if (csid === 0) {
      if (buf.length < 2) return false;
      csid = buf[1]! + 64;
      pos = 2;
    } else if (csid === 1) {
      if (buf.length < 3) return false;
      csid = buf[1]! + buf[2]! * 256 + 64;
      pos = 3;
    }
    const headerSize = [11, 7, 3, 0][fmt]!;
    if (buf.length < pos + headerSize) return false;
    const prev = this.chunks.get(csid);
    if (fmt !== 0 && !prev) throw new Error(`chunk stream ${csid} starts without a full header`);
    const state: ChunkState = prev
      ? { ...prev }
      : {
          timestamp: 0,
          delta: 0,
          length: 0,
          typeId: 0,
          streamId: 0,
          extended: false,
          parts: [],
          received: 0,
        };
    const starting = state.received === 0;
    let stamp = 0;
    if (fmt <= 2) stamp = buf.readUIntBE(pos, 3);
    if (fmt <= 1) {
      state.length = buf.readUIntBE(pos + 3, 3);
      state.typeId = buf[pos + 6]!;
    }
    if (fmt === 0) state.streamId = buf.readUInt32LE(pos + 7);
    pos += headerSize;
    const extended = fmt <= 2 ? stamp === 0xffffff : state.extended;
    if (extended) {
      if (buf.length < pos + 4) return false;
      stamp = buf.readUInt32BE(pos);
      pos += 4;
    }
    if (state.length > MAX_MESSAGE_BYTES) throw new Error(`a message of ${state.length} bytes`);
    const size = Math.min(this.inChunkSize, state.length - state.received);
    if (buf.length < pos + size) return false;
    if (fmt <= 2) state.extended = extended;
    if (starting) {
      if (fmt === 0) state.timestamp = stamp;
      else if (fmt <= 2) {
        state.delta = stamp;
        state.timestamp += stamp;
      } else state.timestamp += state.delta;
    }
    state.parts = [...state.parts, buf.subarray(pos, pos + size)];
    state.received += size;
    this.buffer = buf.subarray(pos + size);
    if (state.received >= state.length) {
      const payload = Buffer.concat(state.parts);
      state.parts = [];
      state.received = 0;
      this.chunks.set(csid, state);
      this.onMessage(state.typeId, state.timestamp, state.streamId, payload);
    } else {
      this.chunks.set(csid, state);
    }
    return true;
  }

  private acknowledge() {
    if (this.ackWindow > 0 && this.bytesIn - this.lastAck >= this.ackWindow) {
      this.lastAck = this.bytesIn;
      const b = Buffer.alloc(4);
      b.writeUInt32BE(this.bytesIn % 0x100000000);
      this.send(2, 3, 0, b);
    }
  }

  private onMessage(typeId: number, timestamp: number, streamId: number, payload: Buffer) {
    switch (typeId) {
      case 1:
        this.inChunkSize = payload.readUInt32BE(0) & 0x7fffffff;
        return;
      case 5:
        this.ackWindow = payload.readUInt32BE(0);
        return;
      case 8:
      case 9:
        this.session?.onTag(typeId, timestamp, payload);
        return;
      case 18:
        if (payload.subarray(0, SET_DATA_FRAME.length).equals(SET_DATA_FRAME))
          this.session?.onTag(18, timestamp, payload.subarray(SET_DATA_FRAME.length));
        return;
      case 17:
        // AMF3 command: a format byte, then AMF0 values as OBS and ffmpeg send them.
        this.onCommand(readAmfAll(payload.subarray(1)), streamId);
        return;
      case 20:
        this.onCommand(readAmfAll(payload), streamId);
        return;
      default:
        return;
    }
  }

  private onCommand([name, txn, object, ...args]: Amf[], streamId: number) {
    const transaction = typeof txn === 'number' ? txn : 0;
    switch (name) {
      case 'connect': {
        const command = (object ?? {}) as AmfObject;
        this.app = typeof command.app === 'string' ? command.app.replace(/\/$/, '') : '';
        const size = Buffer.alloc(4);
        size.writeUInt32BE(WINDOW_ACK_SIZE);
        this.send(2, 5, 0, size);
        this.send(2, 6, 0, Buffer.concat([size, Buffer.from([2])]));
        const chunk = Buffer.alloc(4);
        chunk.writeUInt32BE(OUT_CHUNK_SIZE);
        this.send(2, 1, 0, chunk);
        this.outChunkSize = OUT_CHUNK_SIZE;
        this.command(
          0,
          '_result',
          transaction,
          { fmsVer: 'FMS/3,0,1,123', capabilities: 31 },
          {
            level: 'status',
            code: 'NetConnection.Connect.Success',
            description: 'Connection succeeded (local IVS ingest).',
            objectEncoding: 0,
          },
        );
        return;
      }
      case 'createStream':
        this.command(0, '_result', transaction, null, 1);
        return;
      case 'releaseStream':
      case 'FCPublish':
        this.command(0, '_result', transaction, null, undefined);
        return;
      case 'publish': {
        const key = typeof args[0] === 'string' ? args[0].split('?')[0]! : '';
        const verdict = this.options.authorize(this.app, key, () => this.socket.destroy());
        if (!verdict.ok) {
          this.log(`rtmp: refused a publisher: ${verdict.reason}`);
          this.command(streamId, 'onStatus', 0, null, {
            level: 'error',
            code: 'NetStream.Publish.BadName',
            description: verdict.reason,
          });
          this.socket.end();
          return;
        }
        this.session = verdict.session;
        this.command(streamId, 'onStatus', 0, null, {
          level: 'status',
          code: 'NetStream.Publish.Start',
          description: 'Publishing to the local IVS.',
        });
        return;
      }
      case 'FCUnpublish':
      case 'deleteStream':
      case 'closeStream':
        this.end();
        return;
      default:
        return;
    }
  }

  private outChunkSize = DEFAULT_CHUNK_SIZE;

  private command(streamId: number, ...values: Amf[]) {
    this.send(3, 20, streamId, Buffer.concat(values.map(writeAmf)));
  }

  /** One message as chunks: a type-0 header, then type-3 continuation headers. */
  private send(csid: number, typeId: number, streamId: number, payload: Buffer) {
    if (this.socket.destroyed) return;
    const header = Buffer.alloc(12);
    header[0] = csid;
    header.writeUIntBE(0, 1, 3);
    header.writeUIntBE(payload.length, 4, 3);
    header[7] = typeId;
    header.writeUInt32LE(streamId, 8);
    const parts: Buffer[] = [header];
    for (let i = 0; i < payload.length; i += this.outChunkSize) {
      if (i > 0) parts.push(Buffer.from([0xc0 | csid]));
      parts.push(payload.subarray(i, i + this.outChunkSize));
    }
    this.socket.write(Buffer.concat(parts));
  }
}

/**
 * An FLV file's header and first back-pointer, before the tags. Its flags say which of audio and video
 * follow; ffmpeg reading from a pipe waits for every announced stream before writing anything, so they are
 * taken from the publisher's `onMetaData` (its `audiocodecid` and `videocodecid`) when it sends one first.
 */
export function flvHeader(firstTag?: { readonly type: number; readonly payload: Buffer }): Buffer {
  let flags = 0x05;
  if (firstTag?.type === 18) {
    try {
      const [name, data] = readAmfAll(firstTag.payload);
      if (name === 'onMetaData' && data && typeof data === 'object' && !Array.isArray(data))
        flags = ('videocodecid' in data ? 0x01 : 0) | ('audiocodecid' in data ? 0x04 : 0) || 0x05;
    } catch {
      // Metadata that does not parse says nothing; announce both.
    }
  }
  return Buffer.from([0x46, 0x4c, 0x56, 0x01, flags, 0, 0, 0, 9, 0, 0, 0, 0]);
}

/** One FLV tag with its back-pointer. */
export function flvTag(type: number, timestamp: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(11);
  header[0] = type;
  header.writeUIntBE(payload.length, 1, 3);
  header.writeUIntBE(timestamp & 0xffffff, 4, 3);
  header[7] = (timestamp >>> 24) & 0xff;
  const back = Buffer.alloc(4);
  back.writeUInt32BE(11 + payload.length);
  return Buffer.concat([header, payload, back]);
}

/** The RTMP ingest listening on `host:port`; `close()` drops every publisher. */
export async function startRtmpIngest(
  options: RtmpIngestOptions,
): Promise<{ readonly port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    new RtmpConnection(socket, options);
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
