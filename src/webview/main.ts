/**
 * The plan panel's page: renders the state the host sends and posts the user's edits back. It keeps no
 * state of its own (the host re-sends everything after `ready`, also after a reload) and builds the DOM
 * with textContent only, never innerHTML, so task text cannot inject markup. Native controls keep it usable
 * by keyboard and in high-contrast themes.
 */
import type { HostToWebviewMessage, PanelState, PlanEditMessage as PlanEdit, WebviewToHostMessage } from '../protocol/messages';

interface VsCodeWebviewApi {
  postMessage(message: WebviewToHostMessage): void;
}
declare function acquireVsCodeApi(): VsCodeWebviewApi;

const vscodeApi = acquireVsCodeApi();
const PRIORITIES = ['critical', 'high', 'normal', 'low', 'background'];
const COMPLEXITIES = ['', 'trivial', 'simple', 'moderate', 'complex', 'epic'];
let lastError: string | undefined;
let lastState: PanelState | undefined;

/** A task's run note under its state, when it has one. */
function runNote(note: string | undefined): HTMLElement[] {
  return note ? [el('div', { class: 'muted' }, note)] : [];
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value !== undefined) {
      node.setAttribute(key, value);
    }
  }
  node.append(...children);
  return node;
}

function edit(change: PlanEdit): void {
  lastError = undefined;
  vscodeApi.postMessage({ type: 'edit', edit: change });
}

function button(label: string, title: string, onClick: () => void, options: { secondary?: boolean; disabled?: boolean } = {}): HTMLButtonElement {
  const node = el('button', { title, 'aria-label': title, ...(options.secondary ? { class: 'secondary' } : {}) }, label);
  node.disabled = Boolean(options.disabled);
  node.addEventListener('click', onClick);
  return node;
}

function select(values: readonly string[], current: string, label: string, onChange: (value: string) => void): HTMLSelectElement {
  const node = el('select', { 'aria-label': label });
  for (const value of values) {
    const option = el('option', { value }, value || '—');
    option.selected = value === current;
    node.append(option);
  }
  node.addEventListener('change', () => onChange(node.value));
  return node;
}

function render(state: PanelState): void {
  const root = document.getElementById('root');
  if (!root) {
    return;
  }
  const critical = new Set(state.criticalPath);
  const forecast =
    state.forecast.tasks === 0
      ? 'Nothing left to run'
      : `${state.forecast.tasks} task${state.forecast.tasks === 1 ? '' : 's'} to run with ${state.provider} · about ${Math.round(state.forecast.tokens / 1000)}k tokens${state.forecast.costUsd !== undefined ? ` · ~$${state.forecast.costUsd.toFixed(2)}` : ''} · ~${Math.round(state.forecast.minutes)} min (estimate)`;
  const toolbar = el(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Plan actions' },
    state.running
      ? button('Running…', 'A session is running; pause or cancel it from the Tasks view', () => undefined, { disabled: true })
      : state.trusted
        ? button('Approve and Run', 'Approve the plan and run it', () => vscodeApi.postMessage({ type: 'approveAndRun' }))
        : button('Approve and Run', 'Restricted Mode: trust this workspace to run the plan', () => undefined, { disabled: true }),
    button('Undo', 'Undo the last edit', () => vscodeApi.postMessage({ type: 'undo' }), { secondary: true, disabled: !state.canUndo }),
    button('Redo', 'Redo', () => vscodeApi.postMessage({ type: 'redo' }), { secondary: true, disabled: !state.canRedo }),
    el('span', { class: 'muted' }, 'Strategy '),
    select(['sequential', 'parallel', 'intelligent'], state.plan.strategy.mode, 'Strategy', (mode) =>
      edit({ type: 'setStrategy', mode: mode as 'sequential', maxConcurrent: state.plan.strategy.maxConcurrent }),
    ),
    el('span', { class: 'muted' }, `${forecast}${state.savedTo ? ` · saved to ${state.savedTo}` : ''}${state.notSaved ? ` · ${state.notSaved}` : ''}`),
  );
  const head = el('tr', {}, ...['Id', 'Task', 'Priority', 'Complexity', 'After', 'Verify', 'State', ''].map((h) => el('th', { scope: 'col' }, h)));
  const rows = state.plan.tasks.map((task) => taskRow(task, state, critical));
  const add = el('input', { type: 'text', 'aria-label': 'New task title', placeholder: 'A new task…' });
  add.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && add.value.trim()) {
      edit({ type: 'addTask', title: add.value.trim(), parent: null });
    }
  });
  // Every render replaces the DOM: keep the keyboard focus on the same control (by its label), so that a
  // keyboard user is not thrown back to the top after each edit.
  const focusedLabel = document.activeElement instanceof HTMLElement ? document.activeElement.getAttribute('aria-label') : null;
  root.replaceChildren(
    el('h2', {}, state.plan.name),
    ...(state.plan.source
      ? [el('p', { class: 'muted source' }, `Read from ${state.plan.source.path}${state.plan.source.format ? ` as ${state.plan.source.format}` : ''}`)]
      : []),
    toolbar,
    ...(lastError ? [el('div', { class: 'error', role: 'alert' }, lastError)] : []),
    ...(state.proposal?.items.length ? [proposalSection(state.proposal.items)] : []),
    el('table', { 'aria-label': 'Tasks of the plan' }, el('thead', {}, head), el('tbody', {}, ...rows)),
    el('div', { class: 'toolbar' }, add, el('span', { class: 'muted' }, 'The orange bar marks the critical path: the chain of work that sets the end time.')),
    ...(state.transcript ? [transcriptSection(state.transcript)] : []),
    dependencyDrawing(state),
  );
  if (focusedLabel) {
    const again = [...root.querySelectorAll<HTMLElement>('[aria-label]')].find((node) => node.getAttribute('aria-label') === focusedLabel);
    again?.focus();
  }
}

/** A task's row of the table: its fields as controls, its run state, and the buttons that edit it. */
function taskRow(task: PanelState['plan']['tasks'][number], state: PanelState, critical: ReadonlySet<string>): HTMLElement {
  const others = state.plan.tasks.filter((t) => t.id !== task.id && !task.dependsOn.includes(t.id));
  const deps = el(
    'td',
    {},
    ...task.dependsOn.map((dep) =>
      el(
        'span',
        {},
        button(`${dep} ×`, `Remove the dependency on ${dep}`, () => edit({ type: 'removeDependency', taskId: task.id, dependsOn: dep }), { secondary: true }),
        ' ',
      ),
    ),
    select(
      ['', ...others.map((t) => t.id)],
      '',
      `Add a dependency to task ${task.id}`,
      (dep) => dep && edit({ type: 'addDependency', taskId: task.id, dependsOn: dep }),
    ),
  );
  const verify = el('input', {
    type: 'text',
    value: task.verify.join(' ; '),
    'aria-label': `Verify commands of task ${task.id}`,
    placeholder: 'e.g. npm test',
  });
  verify.addEventListener('change', () =>
    edit({
      type: 'setVerify',
      taskId: task.id,
      verify: verify.value
        .split(' ; ')
        .map((v) => v.trim())
        .filter(Boolean),
    }),
  );
  const runState = state.runStates?.[task.id] ?? (task.status === 'skipped' ? 'skipped' : task.optional ? 'optional' : task.status);
  return el(
    'tr',
    { class: [task.parent ? 'child' : '', critical.has(task.id) ? 'critical' : ''].filter(Boolean).join(' '), 'data-task': task.id },
    el('td', {}, task.id),
    el('td', { class: 'title' }, task.title, ...task.references.map((r) => el('div', { class: 'muted' }, `→ ${r.path}${r.found ? '' : ' (missing)'}`))),
    el(
      'td',
      {},
      select(PRIORITIES, task.priority, `Priority of task ${task.id}`, (priority) =>
        edit({ type: 'setPriority', taskId: task.id, priority: priority as 'normal' }),
      ),
    ),
    el(
      'td',
      {},
      select(COMPLEXITIES, task.complexity ?? '', `Complexity of task ${task.id}`, (complexity) =>
        edit({ type: 'setComplexity', taskId: task.id, complexity: (complexity || null) as 'simple' | null }),
      ),
    ),
    deps,
    el('td', {}, verify),
    el('td', {}, runState.replace('_', ' '), ...runNote(state.runNotes?.[task.id])),
    el(
      'td',
      {},
      button('↑', `Move task ${task.id} up`, () => edit({ type: 'moveTask', taskId: task.id, direction: 'up' }), { secondary: true }),
      button('↓', `Move task ${task.id} down`, () => edit({ type: 'moveTask', taskId: task.id, direction: 'down' }), { secondary: true }),
      task.optional
        ? button('Include', `Run optional task ${task.id}`, () => edit({ type: 'setOptional', taskId: task.id, optional: false }), { secondary: true })
        : button(
            task.status === 'skipped' ? 'Unskip' : 'Skip',
            `${task.status === 'skipped' ? 'Run' : 'Skip'} task ${task.id}`,
            () => edit({ type: 'setSkipped', taskId: task.id, skipped: task.status !== 'skipped' }),
            { secondary: true },
          ),
      button('Remove', `Remove task ${task.id}`, () => edit({ type: 'removeTask', taskId: task.id }), { secondary: true }),
      button('Transcript', `Show the transcript of task ${task.id}`, () => vscodeApi.postMessage({ type: 'showTranscript', taskId: task.id }), {
        secondary: true,
      }),
    ),
  );
}

/** An analysis's proposed changes: accepted or rejected per task, or all at once. */
function proposalSection(items: NonNullable<PanelState['proposal']>['items']): HTMLElement {
  const decide = (accept: boolean, taskIds: string[] | null) => () => vscodeApi.postMessage({ type: 'decideProposal', accept, taskIds });
  return el(
    'section',
    { class: 'proposal', 'aria-label': 'Changes proposed by the analysis' },
    el(
      'div',
      { class: 'toolbar' },
      el('h3', {}, `The analysis proposes ${items.length} change${items.length === 1 ? '' : 's'}`),
      button('Accept all', 'Accept every proposed change', decide(true, null)),
      button('Reject all', 'Reject every proposed change', decide(false, null), { secondary: true }),
    ),
    el(
      'ul',
      {},
      ...items.map((item) =>
        el(
          'li',
          {},
          el('strong', {}, item.taskId.startsWith('#') ? item.title : `${item.taskId} ${item.title}`),
          ' ',
          el('span', { class: 'muted' }, item.changes.join(' · ')),
          ' ',
          button('Accept', `Accept the proposed change to ${item.title}`, decide(true, [item.taskId]), { secondary: true }),
          button('Reject', `Reject the proposed change to ${item.title}`, decide(false, [item.taskId]), { secondary: true }),
        ),
      ),
    ),
  );
}

function transcriptSection(transcript: NonNullable<PanelState['transcript']>): HTMLElement {
  const lines = transcript.lines.length ? transcript.lines : ['(nothing recorded yet: the task has not run in this session)'];
  return el(
    'section',
    { 'aria-label': `Transcript of task ${transcript.taskId}` },
    el(
      'div',
      { class: 'toolbar' },
      el('h3', {}, `Transcript of ${transcript.taskId}: ${transcript.title}`),
      button('Close', 'Close the transcript', () => vscodeApi.postMessage({ type: 'showTranscript', taskId: null }), { secondary: true }),
    ),
    ...(transcript.truncated ? [el('div', { class: 'muted' }, 'Older lines are not shown.')] : []),
    el('ol', { class: 'transcript', role: 'log', 'aria-live': 'polite', tabindex: '0' }, ...lines.map((line) => el('li', {}, line))),
  );
}

const SVG = 'http://www.w3.org/2000/svg';
const MAX_DRAWN = 80;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>,
  ...children: Array<Node | string>
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) {
    node.setAttribute(key, String(value));
  }
  node.append(...children);
  return node;
}

/**
 * The dependencies as a small drawing: one column per depth (a task sits right of everything it waits
 * for), arrows from a dependency to its dependent, the critical path in orange. Skipped above MAX_DRAWN
 * tasks, where a drawing is no longer readable; the table says the same. One function (~90 lines): the
 * layout, the boxes and the arrows share the positions it computes.
 */
function dependencyDrawing(state: PanelState): HTMLElement {
  const tasks = state.plan.tasks;
  const section = el('section', { 'aria-label': 'Dependency drawing' }, el('h3', {}, 'Dependencies'));
  if (tasks.length > MAX_DRAWN) {
    section.append(el('p', { class: 'muted' }, `${tasks.length} tasks are too many to draw; the table above lists every dependency.`));
    return section;
  }
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const depth = new Map<string, number>();
  const depthOf = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) {
      return known;
    }
    if (seen.has(id)) {
      return 0; // a cycle is refused by the host; never loop here
    }
    seen.add(id);
    const deps = (byId.get(id)?.dependsOn ?? []).filter((d) => byId.has(d));
    const value = deps.length ? 1 + Math.max(...deps.map((d) => depthOf(d, seen))) : 0;
    depth.set(id, value);
    return value;
  };
  const columns: string[][] = [];
  for (const task of tasks) {
    const column = depthOf(task.id, new Set());
    (columns[column] ??= []).push(task.id);
  }
  const [W, H, GAP_X, GAP_Y] = [150, 26, 40, 10];
  const place = new Map<string, { x: number; y: number }>();
  columns.forEach((ids, c) => ids.forEach((id, r) => place.set(id, { x: 4 + c * (W + GAP_X), y: 4 + r * (H + GAP_Y) })));
  const width = 8 + columns.length * (W + GAP_X) - GAP_X;
  const height = 8 + Math.max(1, ...columns.map((c) => c.length)) * (H + GAP_Y) - GAP_Y;
  const critical = new Set(state.criticalPath);
  const drawing = svg('svg', {
    class: 'dag',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `Dependency drawing of ${tasks.length} tasks; the critical path is ${state.criticalPath.join(' → ') || 'empty'}`,
  });
  drawing.append(
    svg(
      'defs',
      {},
      svg(
        'marker',
        { id: 'arrow', viewBox: '0 0 6 6', refX: 6, refY: 3, markerWidth: 6, markerHeight: 6, orient: 'auto' },
        svg('path', { d: 'M0,0 L6,3 L0,6 z', class: 'arrowhead' }),
      ),
    ),
  );
  for (const task of tasks) {
    const to = place.get(task.id);
    if (!to) {
      continue; // every task was placed in its column above
    }
    for (const dep of task.dependsOn) {
      const from = place.get(dep);
      if (from) {
        const onPath = critical.has(dep) && critical.has(task.id);
        drawing.append(
          svg('path', {
            d: `M${from.x + W},${from.y + H / 2} C${from.x + W + GAP_X / 2},${from.y + H / 2} ${to.x - GAP_X / 2},${to.y + H / 2} ${to.x},${to.y + H / 2}`,
            class: onPath ? 'edge critical' : 'edge',
            'marker-end': 'url(#arrow)',
          }),
        );
      }
    }
  }
  for (const task of tasks) {
    const at = place.get(task.id);
    if (!at) {
      continue; // every task was placed in its column above
    }
    const { x, y } = at;
    const runState = state.runStates?.[task.id] ?? task.status;
    const label = `${task.id} ${task.title}`;
    drawing.append(
      svg(
        'g',
        { class: `node ${critical.has(task.id) ? 'critical' : ''} state-${runState}` },
        svg('title', {}, `${label} (${runState})`),
        svg('rect', { x, y, width: W, height: H, rx: 3 }),
        svg('text', { x: x + 6, y: y + H / 2 + 4 }, label.length > 22 ? `${label.slice(0, 21)}…` : label),
      ),
    );
  }
  section.append(drawing);
  return section;
}

window.addEventListener('message', (event: MessageEvent<HostToWebviewMessage>) => {
  const message = event.data;
  if (message?.type === 'state') {
    lastState = message;
    render(message);
  } else if (message?.type === 'empty') {
    lastState = undefined;
    document.getElementById('root')?.replaceChildren(el('p', { class: 'muted' }, message.message));
  } else if (message?.type === 'error') {
    lastError = message.message;
    if (lastState) {
      render(lastState);
    }
  }
});

vscodeApi.postMessage({ type: 'ready' });
