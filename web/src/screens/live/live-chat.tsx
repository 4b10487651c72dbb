import {
  ChatRoom,
  DeleteMessageRequest,
  DisconnectUserRequest,
  SendMessageRequest,
  type ChatMessage,
} from 'amazon-ivs-chat-messaging';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useApi } from '../../api/api-context';
import { problemText } from '../../api/problem';
import { useT, type Messages } from '../../i18n';
import { useSession } from '../../session/session';
import { liveCall } from './live-api';
import { useLiveConfig } from './live-config';

const messages: Messages<
  | 'chat'
  | 'message'
  | 'send'
  | 'connecting'
  | 'connected'
  | 'disconnected'
  | 'removedYou'
  | 'none'
  | 'delete'
  | 'deleteOf'
  | 'disconnect'
  | 'disconnectOf'
  | 'failed'
  | 'unavailable'
> = {
  ko: {
    chat: '채팅',
    message: '메시지',
    send: '보내기',
    connecting: '채팅에 연결하는 중…',
    connected: '채팅에 연결되었습니다.',
    disconnected: '채팅 연결이 끊어졌습니다.',
    removedYou: '진행자가 채팅에서 내보냈습니다.',
    none: '아직 메시지가 없습니다.',
    delete: '삭제',
    deleteOf: '{name}의 메시지 삭제',
    disconnect: '내보내기',
    disconnectOf: '{name}을(를) 채팅에서 내보내기',
    failed: '보내지 못했습니다: {message}',
    unavailable: '이 플랫폼에는 실시간 채팅이 없습니다.',
  },
  en: {
    chat: 'Chat',
    message: 'Message',
    send: 'Send',
    connecting: 'Connecting to the chat…',
    connected: 'Connected to the chat.',
    disconnected: 'The chat is disconnected.',
    removedYou: 'The host removed you from the chat.',
    none: 'No messages yet.',
    delete: 'Delete',
    deleteOf: 'Delete the message of {name}',
    disconnect: 'Remove',
    disconnectOf: 'Remove {name} from the chat',
    failed: 'Not sent: {message}',
    unavailable: 'This platform has no live chat.',
  },
};

/** The name a sender chose (the chat token's attributes), else their id. */
export const senderName = (m: Pick<ChatMessage, 'sender'>) =>
  m.sender.attributes?.displayName ?? m.sender.userId;

/**
 * The lecture's IVS chat room. The token comes from the API (POST /lectures/{id}/chat-token), which grants
 * staff the DELETE_MESSAGE and DISCONNECT_USER capabilities; with `moderate` the page offers them on each
 * message, through the chat SDK as IVS Chat's messaging API allows.
 */
export function LiveChat({
  lectureId,
  moderate = false,
  onSender,
}: {
  lectureId: string;
  moderate?: boolean;
  /** Each sender seen, with their name: the room uses them to name attendees. */
  onSender?: (userId: string, name: string) => void;
}) {
  const t = useT(messages);
  const api = useApi();
  const config = useLiveConfig();
  const { state: session } = useSession();
  const me = session.status === 'signed-in' ? session.me.sub : undefined;
  const inputId = useId();
  const [room, setRoom] = useState<ChatRoom>();
  const [state, setState] = useState<'connecting' | 'connected' | 'disconnected' | 'removed'>('connecting');
  const [chat, setChat] = useState<readonly ChatMessage[]>([]);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string>();
  const senders = useRef(onSender);
  senders.current = onSender;

  useEffect(() => {
    if (!config) return;
    const r = new ChatRoom({
      regionOrUrl: config.chat,
      tokenProvider: async () => {
        const grant = await liveCall(
          (a) => a.POST('/lectures/{lectureId}/chat-token', { params: { path: { lectureId } }, body: {} }),
          api,
        );
        if (grant.problem) throw new Error(problemText(grant.problem));
        const { token, sessionExpiresAt, tokenExpiresAt } = grant.data;
        return {
          token,
          ...(sessionExpiresAt ? { sessionExpirationTime: sessionExpiresAt } : {}),
          ...(tokenExpiresAt ? { tokenExpirationTime: tokenExpiresAt } : {}),
        };
      },
    });
    // The SDK logs every frame at debug level by default.
    r.logLevel = 'error';
    const off = [
      r.addListener('connecting', () => setState((s) => (s === 'removed' ? s : 'connecting'))),
      r.addListener('connect', () => setState((s) => (s === 'removed' ? s : 'connected'))),
      r.addListener('disconnect', () => setState((s) => (s === 'removed' ? s : 'disconnected'))),
      r.addListener('message', (m) => {
        senders.current?.(m.sender.userId, senderName(m));
        setChat((c) => [...c.slice(-199), m]);
      }),
      r.addListener('messageDelete', (e) => setChat((c) => c.filter((m) => m.id !== e.messageId))),
      r.addListener('userDisconnect', (e) => {
        // Their messages stay, as IVS keeps them. The removed person is told, and this page does not connect
        // again by itself (the SDK would, with a fresh token): coming back takes reloading the page.
        if (e.userId === me) {
          setState('removed');
          r.disconnect();
        }
      }),
    ];
    r.connect();
    setRoom(r);
    return () => {
      for (const o of off) o();
      r.disconnect();
    };
  }, [api, config, lectureId, me]);

  if (!config) return <p>{t('unavailable')}</p>;

  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (!room || !draft.trim()) return;
    setError(undefined);
    try {
      await room.sendMessage(new SendMessageRequest(draft.trim()));
      setDraft('');
    } catch (err) {
      setError(t('failed', { message: err instanceof Error ? err.message : String(err) }));
    }
  };
  const act = async (action: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(t('failed', { message: err instanceof Error ? err.message : String(err) }));
    }
  };

  return (
    <section className="live-chat" aria-labelledby={`${inputId}-heading`}>
      <h2 id={`${inputId}-heading`}>{t('chat')}</h2>
      <p className="muted" aria-live="polite">
        {state === 'removed' ? t('removedYou') : t(state)}
      </p>
      {chat.length === 0 ? (
        <p className="muted">{t('none')}</p>
      ) : (
        <ol className="live-chat-messages" aria-live="polite">
          {chat.map((m) => (
            <li key={m.id}>
              <strong>{senderName(m)}</strong> {m.content}
              {moderate ? (
                <span className="live-chat-actions">
                  <button
                    type="button"
                    aria-label={t('deleteOf', { name: senderName(m) })}
                    onClick={() => void act(() => room!.deleteMessage(new DeleteMessageRequest(m.id)))}
                  >
                    {t('delete')}
                  </button>
                  <button
                    type="button"
                    aria-label={t('disconnectOf', { name: senderName(m) })}
                    onClick={() =>
                      void act(() => room!.disconnectUser(new DisconnectUserRequest(m.sender.userId)))
                    }
                  >
                    {t('disconnect')}
                  </button>
                </span>
              ) : null}
            </li>
          ))}
        </ol>
      )}
      <form className="live-chat-form" onSubmit={(e) => void send(e)}>
        <label htmlFor={inputId}>{t('message')}</label>
        <input
          id={inputId}
          value={draft}
          maxLength={500}
          onChange={(e) => setDraft(e.target.value)}
          disabled={state !== 'connected'}
        />
        <button type="submit" disabled={state !== 'connected' || !draft.trim()}>
          {t('send')}
        </button>
      </form>
      {error ? <p role="alert">{error}</p> : null}
    </section>
  );
}
