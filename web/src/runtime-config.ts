import { WEB_APP, type WebAppConfig } from '#contracts/web-app';

/** Read once at start; the web stack writes it beside index.html, so one build serves every stage. */
export async function loadRuntimeConfig(): Promise<WebAppConfig> {
  const res = await fetch(WEB_APP.configPath, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${WEB_APP.configPath}: ${res.status}`);
  return (await res.json()) as WebAppConfig;
}
