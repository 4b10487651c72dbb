import { streamStateDeps } from './live-deps';
import { sweepLectures, type SweepReport } from './stream-state';

/*
 * Scheduled every minute by the live stack: IVS's events are best effort, so the lectures' states are
 * checked against IVS's API. The run logs one line with `reconcileErrors` (see sweepLectures).
 */

const deps = streamStateDeps();

export const handler = async (): Promise<SweepReport> => sweepLectures(deps);
