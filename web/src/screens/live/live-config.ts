import { createContext, useContext } from 'react';
import type { LiveClientConfig } from '#contracts/web-app';

/** The runtime config's live settings (config.json), for the live pages; undefined when the platform has none. */
export const LiveConfigContext = createContext<LiveClientConfig | undefined>(undefined);

export const useLiveConfig = () => useContext(LiveConfigContext);
