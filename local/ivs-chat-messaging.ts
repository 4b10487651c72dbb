import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import * as z from 'zod';

/*
 * IVS Chat's messaging WebSocket on one machine (the Chat Messaging API Reference,
 * docs.aws.amazon.com/ivs/latest/chatmsgapireference/): a client connects with its chat token as the
 * WebSocket subprotocol, sends `SEND_MESSAGE`, `DELETE_MESSAGE` and `DISCONNECT_USER` actions, and receives
 * `MESSAGE`, `EVENT` and `ERROR` frames. As IVS Chat, a token connects once and only before its token
 * expiration time, the session closes at its session expiration time, and an action needs its capability.
 */

export interface ChatSession {
  readonly roomArn: string;
  readonly userId: string;
  readonly capabilities: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
  readonly tokenExpiresAt: number;
  readonly sessionExpiresAt: number;
}

export interface ChatRoomLimits {
  readonly maximumMessageLength: number;
  readonly maximumMessageRatePerSecond: number;
}

export interface ChatMessagingOptions {
  readonly server: Server;
  /** The path clients connect to. */
  readonly path: string;
  /** The session of a token, taken (a token connects once); undefined when unknown or already used. */
  readonly takeToken: (token: string) => ChatSession | undefined;
  /** The room's limits, undefined when it no longer exists. */
  readonly room: (roomArn: string) => ChatRoomLimits | undefined;
  readonly clock: () => Date;
  readonly log: (line: string) => void;
}

interface Connection {
  readonly socket: WebSocket;
  readonly session: ChatSession;
  sent: number[];
}

const action = z.discriminatedUnion('Action', [
  z.object({
    Action: z.literal('SEND_MESSAGE'),
    RequestId: z.string().max(128).optional(),
    Content: z.string().min(1),
    Attributes: z.record(z.string(), z.string()).optional(),
  }),
  z.object({
    Action: z.literal('DELETE_MESSAGE'),
    RequestId: z.string().max(128).optional(),
    Id: z.string().min(1),
    Reason: z.string().max(256).optional(),
  }),
  z.object({
    Action: z.literal('DISCONNECT_USER'),
    RequestId: z.string().max(128).optional(),
    UserId: z.string().min(1).max(128),
    Reason: z.string().max(256).optional(),
  }),
]);

const messageId = () => randomBytes(9).toString('base64url');

/** Attaches the messaging endpoint to `server`; returns what the control plane's moderation calls need. */
export function attachChatMessaging(options: ChatMessagingOptions) {
  const { clock, log } = options;
  const wss = new WebSocketServer({
    noServer: true,
    // The token is the subprotocol; a browser drops a connection whose server does not echo it.
    handleProtocols: (protocols) => [...protocols][0] ?? false,
  });
  const connections = new Set<Connection>();

  const broadcast = (roomArn: string, frame: Record<string, unknown>) => {
    const text = JSON.stringify(frame);
    for (const c of connections) if (c.session.roomArn === roomArn) c.socket.send(text);
  };
  const event = (roomArn: string, name: string, attributes: Record<string, string>, requestId?: string) => {
    const id = messageId();
    broadcast(roomArn, {
      Type: 'EVENT',
      Id: id,
      ...(requestId ? { RequestId: requestId } : {}),
      EventName: name,
      Attributes: attributes,
      SendTime: clock().toISOString(),
    });
    return id;
  };
  const disconnectUser = (roomArn: string, userId: string, reason: string, requestId?: string) => {
    event(roomArn, 'aws:DISCONNECT_USER', { UserId: userId, Reason: reason }, requestId);
    for (const c of connections)
      if (c.session.roomArn === roomArn && c.session.userId === userId) c.socket.close(1000, reason);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://local').pathname !== options.path) return;
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nx-local-stand-in: local Amazon IVS Chat\r\n\r\n`);
    };
    const token = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')[0]
      ?.trim();
    const session = token ? options.takeToken(token) : undefined;
    if (!session) return refuse(401, 'Unauthorized');
    const now = clock().getTime();
    if (now > session.tokenExpiresAt) return refuse(401, 'Unauthorized');
    if (!options.room(session.roomArn)) return refuse(404, 'Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection: Connection = { socket: ws, session, sent: [] };
      connections.add(connection);
      // The session ends at its expiration time, as IVS Chat closes it.
      const expiry = setTimeout(() => ws.close(1000, 'session expired'), session.sessionExpiresAt - now);
      expiry.unref();
      ws.on('close', () => {
        clearTimeout(expiry);
        connections.delete(connection);
      });
      ws.on('message', (data) => onAction(connection, String(data)));
    });
  };
  options.server.on('upgrade', onUpgrade);

  function onAction(c: Connection, text: string) {
    const error = (code: number, message: string, requestId?: string) =>
      c.socket.send(
        JSON.stringify({
          Type: 'ERROR',
          Id: messageId(),
          ...(requestId ? { RequestId: requestId } : {}),
          ErrorCode: code,
          ErrorMessage: message,
        }),
      );
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return error(400, 'The message is not JSON');
    }
    const parsed = action.safeParse(json);
    if (!parsed.success) return error(400, 'The action is malformed or unknown');
    const a = parsed.data;
    const room = options.room(c.session.roomArn);
    if (!room) return error(404, 'The room no longer exists', a.RequestId);
    if (!c.session.capabilities.includes(a.Action))
      return error(403, `The token does not permit ${a.Action}`, a.RequestId);
    const now = clock().getTime();
    if (now > c.session.sessionExpiresAt) {
      error(401, 'The session has expired', a.RequestId);
      c.socket.close(1000, 'session expired');
      return;
    }
    if (a.Action === 'SEND_MESSAGE') {
      if ([...a.Content].length > room.maximumMessageLength)
        return error(400, `Messages must be at most ${room.maximumMessageLength} characters`, a.RequestId);
      c.sent = c.sent.filter((t) => t > now - 1000);
      if (c.sent.length >= room.maximumMessageRatePerSecond)
        return error(429, 'Too many messages; slow down', a.RequestId);
      c.sent.push(now);
      broadcast(c.session.roomArn, {
        Type: 'MESSAGE',
        Id: messageId(),
        ...(a.RequestId ? { RequestId: a.RequestId } : {}),
        Content: a.Content,
        Attributes: a.Attributes ?? {},
        Sender: { UserId: c.session.userId, Attributes: c.session.attributes },
        SendTime: new Date(now).toISOString(),
      });
    } else if (a.Action === 'DELETE_MESSAGE') {
      event(
        c.session.roomArn,
        'aws:DELETE_MESSAGE',
        { MessageID: a.Id, Reason: a.Reason ?? '' },
        a.RequestId,
      );
    } else {
      disconnectUser(c.session.roomArn, a.UserId, a.Reason ?? '', a.RequestId);
    }
  }

  log(`local IVS Chat messaging: ${options.path} (a stand-in, not Amazon IVS Chat)`);
  return {
    disconnectUser: (roomArn: string, userId: string, reason: string) =>
      disconnectUser(roomArn, userId, reason),
    sendEvent: (roomArn: string, name: string, attributes: Record<string, string>) =>
      event(roomArn, name, attributes),
    deleteMessage: (roomArn: string, id: string, reason: string) =>
      event(roomArn, 'aws:DELETE_MESSAGE', { MessageID: id, Reason: reason }),
    /** Closes every chat connection. */
    close() {
      options.server.off('upgrade', onUpgrade);
      for (const c of connections) c.socket.terminate();
      wss.close();
    },
  };
}
