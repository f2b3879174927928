/**
 * The Codex CLI's config.toml for the agents tests: a custom model provider at the scripted model server,
 * retries off so that a fault shows at once, and nothing that reaches for the network (plugins, analytics).
 */
export function scriptedCodexConfig(baseUrl: string, options: { model?: string; streamIdleTimeoutMs?: number } = {}): string {
  return [
    ...(options.model ? [`model = "${options.model}"`] : []),
    'model_provider = "scripted"',
    '[model_providers.scripted]',
    'name = "Scripted model server"',
    `base_url = "${baseUrl}/v1"`,
    'wire_api = "responses"',
    'env_key = "SCRIPTED_OPENAI_KEY"',
    'request_max_retries = 0',
    'stream_max_retries = 0',
    ...(options.streamIdleTimeoutMs !== undefined ? [`stream_idle_timeout_ms = ${options.streamIdleTimeoutMs}`] : []),
    '[features]',
    'plugins = false',
    '[analytics]',
    'enabled = false',
    '',
  ].join('\n');
}
