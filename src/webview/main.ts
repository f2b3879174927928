import type { HostToWebviewMessage, WebviewToHostMessage } from '../protocol/messages';

interface VsCodeWebviewApi {
  postMessage(message: WebviewToHostMessage): void;
}
declare function acquireVsCodeApi(): VsCodeWebviewApi;

// The host re-sends the whole state after `ready`, so the webview keeps none across reloads.
const vscodeApi = acquireVsCodeApi();

function render(message: HostToWebviewMessage): void {
  const root = document.getElementById('root');
  if (!root) {
    return;
  }
  const heading = document.createElement('h2');
  heading.textContent = message.title;
  const body = document.createElement('p');
  body.textContent = message.body;
  root.replaceChildren(heading, body);
}

window.addEventListener('message', (event: MessageEvent<HostToWebviewMessage>) => {
  if (event.data?.type === 'state') {
    render(event.data);
  }
});

vscodeApi.postMessage({ type: 'ready' });
