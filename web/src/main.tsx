import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './app';
import { loadRuntimeConfig } from './runtime-config';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
loadRuntimeConfig()
  .then((config) =>
    root.render(
      <StrictMode>
        <BrowserRouter>
          <App config={config} />
        </BrowserRouter>
      </StrictMode>,
    ),
  )
  .catch((e: unknown) => {
    root.render(<p role="alert">{e instanceof Error ? e.message : String(e)}</p>);
  });
