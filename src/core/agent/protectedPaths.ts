/**
 * Paths no agent may write, edit or delete, at any depth of the task's folder: what git, ACA, editors and
 * other agents read as configuration and may act on. A write there would let the agent change its own
 * policy or make a program run a command later (git's `core.fsmonitor`, hooks and filters; a VS Code task;
 * an MCP server or hook of Claude Code; ACA's allowlist or a session's verify commands).
 * ACA's agent loop checks them (workspaceTools.ts); Claude Code gets them as `--disallowedTools` rules.
 */
/**
 * Folders (and, for `.git`, the file a worktree or submodule has instead), at any depth:
 * - `.git`: config, hooks, attributes and filters that git runs (also for ACA's own git commands);
 * - `.aca`: ACA's sessions (their verify commands are run on resume), trust and locks;
 * - `.vscode`, `.idea`: editor settings, tasks and launch configurations that run programs;
 * - `.claude`, `.codex`: agent settings, hooks and permission rules of the CLIs ACA drives.
 */
export const PROTECTED_FOLDERS: readonly string[] = ['.git', '.aca', '.vscode', '.idea', '.claude', '.codex'];
/** Files, at any depth: ACA's configuration, and Claude Code's project MCP servers (programs it starts). */
export const PROTECTED_FILES: readonly string[] = ['aca.toml', '.mcp.json'];
/** File name endings, at any depth: ACA's plans (their verify commands run after each task). */
export const PROTECTED_SUFFIXES: readonly string[] = ['.aca-plan.json'];

/**
 * Why an agent may not write `relative` (a path relative to the task's folder), or undefined when it may.
 * Case-insensitive (macOS and Windows folders are), and trailing dots and spaces are ignored (Windows drops them).
 */
export function protectedPathReason(relative: string): string | undefined {
  const segments = relative
    .split(/[\\/]+/)
    .map((segment) => segment.replace(/[. ]+$/, (tail) => (segment === tail ? tail : '')).toLowerCase())
    .filter((segment) => segment !== '' && segment !== '.');
  const folder = segments.find((segment) => PROTECTED_FOLDERS.includes(segment));
  if (folder) {
    return `${folder} holds configuration that git, ACA, an editor or an agent acts on`;
  }
  const name = segments.at(-1) ?? '';
  if (PROTECTED_FILES.includes(name)) {
    return `${name} is configuration that ACA or an agent acts on`;
  }
  const suffix = PROTECTED_SUFFIXES.find((end) => name.endsWith(end));
  return suffix ? `*${suffix} files are ACA's plans, whose verify commands ACA runs` : undefined;
}

/** The same paths as Claude Code permission rules (gitignore-style patterns; `**` for any depth). */
export function claudeProtectedPathRules(): string[] {
  const patterns = [
    ...PROTECTED_FOLDERS.flatMap((folder) => [`**/${folder}`, `**/${folder}/**`]),
    ...PROTECTED_FILES.map((file) => `**/${file}`),
    ...PROTECTED_SUFFIXES.map((end) => `**/*${end}`),
  ];
  return patterns.flatMap((pattern) => [`Edit(${pattern})`, `Write(${pattern})`]);
}
