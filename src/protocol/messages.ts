import { z } from 'zod';

/**
 * Messages between the extension host and the plan webview: discriminated unions with a literal
 * `type`. The host validates everything that arrives from the webview with these schemas.
 */

export const webviewToHostMessage = z.discriminatedUnion('type', [
  /** The webview has loaded its script and can receive state (sent again after every reload). */
  z.object({ type: z.literal('ready') }),
]);
export type WebviewToHostMessage = z.infer<typeof webviewToHostMessage>;

export const hostToWebviewMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), title: z.string(), body: z.string() }),
]);
export type HostToWebviewMessage = z.infer<typeof hostToWebviewMessage>;
