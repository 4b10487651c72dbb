import { WEB_APP } from '#contracts/web-app';
import { CORE_SERVICE } from '#contracts/resources';
import { routes } from '#contracts/routes';

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

describe('the web app’s screens', () => {
  // Locally the app and the API share an origin: a screen's path must never be an API route's.
  const apiPaths = [...Object.values(routes).map((r) => r.path), ...CORE_SERVICE.pathPrefixes];

  it.each(WEB_APP.screens)('%s is no API route and prefixes none', (screen) => {
    expect(apiPaths.filter((p) => under(p, screen) || under(screen, p))).toEqual([]);
  });
});
