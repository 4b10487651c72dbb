import { randomUUID } from 'node:crypto';
import { contentIdOf } from '#lambda/vod/uploads';

describe('contentIdOf', () => {
  it('reads the content and its institution from a video key the upload route wrote', () => {
    const contentId = randomUUID();
    expect(contentIdOf(`videos/inst-1/${contentId}/Lecture-1.mp4`)).toEqual({
      contentId,
      institutionId: 'inst-1',
    });
  });

  it('ignores, with a reason, what no transcode could report back to a content', () => {
    const contentId = randomUUID();
    expect(
      [
        `materials/inst-1/${contentId}/a.pdf`,
        `videos//${contentId}/a.mp4`,
        `videos/inst-1/${contentId}/`,
        'videos/inst-1/not-a-uuid/a.mp4',
      ].map((key) => 'ignored' in contentIdOf(key)),
    ).toEqual([true, true, true, true]);
  });
});
