import { releaseDeps } from './live-deps';
import { releaseChannels, type ReleaseReport } from './release-channels';

/*
 * Scheduled every hour by the live stack: gives IVS back the channels and rooms of lectures ended a day ago,
 * of cancelled lectures, and of creates that never wrote their lecture (see releaseChannels).
 */

const deps = releaseDeps();

export const handler = async (): Promise<ReleaseReport> => releaseChannels(deps);
