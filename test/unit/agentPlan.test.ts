import assert from 'node:assert/strict';
import type { Task } from '../../src/core/model/plan';
import { readTasksText } from '../../src/core/parse/readTasks';

function tree(tasks: readonly Task[]): string[] {
  const mark = { pending: ' ', in_progress: '-', done: 'x', skipped: 's' } as const;
  return tasks.map((t) => `${t.id} [${mark[t.status]}] ${t.title}${t.parent ? ` ^${t.parent}` : ''}`);
}

function byId(tasks: readonly Task[], id: string): Task {
  const task = tasks.find((t) => t.id === id);
  assert.ok(task, `no task ${id} in ${tasks.map((t) => t.id).join(', ')}`);
  return task;
}

/** A plan as coding agents write them (superpowers' writing-plans): Task headings, checkbox steps with code. */
const TASK_STEP_PLAN = `# Login Implementation Plan

> **For agentic workers:** use the executing-plans skill to carry this out task by task.

**Goal:** Users log in with a password.

- A summary bullet that is prose, not a task

---

### Task 1: Password hashing

**Files:**
- Create: \`src/auth/hash.py\`
- Modify: \`src/auth/__init__.py:1-12\`
- Test: \`tests/auth/test_hash.py\`

- [x] **Step 1: Write the failing test**

\`\`\`python
def test_hash_roundtrip():
    assert verify("pw", hash_password("pw"))
\`\`\`

- [x] **Step 2: Run it to see it fail**

Run: \`pytest tests/auth/test_hash.py -v\`
Expected: FAIL with "hash_password is not defined"

### Task 2: Login endpoint

- [ ] **Step 1: Write the endpoint**
  - validate the form
  - return 401 on a bad password

  \`\`\`python
  @app.post("/login")
  def login(form): ...
  \`\`\`
- [ ] **Step 2: Commit**

## Notes

- Keep commits small
`;

/** A GSD-style plan: the tasks are XML blocks inside markdown. */
const XML_PLAN = `---
phase: 01-auth
plan: 01
depends_on: []
---

<objective>
Add password login.
</objective>

<tasks>

<task type="auto">
  <name>Task 1: Create login endpoint</name>
  <files>src/app/api/auth/login/route.ts, src/lib/auth.ts</files>
  <action>
    Use jose for JWT (not jsonwebtoken - CommonJS issues).
    Validate credentials against the users table.
  </action>
  <verify>npm test -- login</verify>
  <done>Valid credentials return a cookie, invalid ones 401</done>
</task>

<task type="auto">
  <name>Task 2: Protect the dashboard</name>
  <files>src/middleware.ts</files>
  <action>Redirect to /login without a session cookie.</action>
  <verify>curl -I localhost:3000/dashboard returns 307 to /login</verify>
  <done>Visiting /dashboard logged out redirects</done>
</task>

<task type="checkpoint:human-verify" gate="blocking">
  <what-built>Login flow</what-built>
  <how-to-verify>Log in at /login with the seeded user.</how-to-verify>
</task>

</tasks>

\`\`\`xml
<task type="auto"><name>An example in a code block is not a task</name></task>
\`\`\`
`;

describe('agent plan reader', () => {
  it('reads ### Task N headings as groups with their checkbox steps, each owning the code under it (defect 3)', () => {
    const parsed = readTasksText(TASK_STEP_PLAN, { file: 'docs/plans/login.md' });
    assert.equal(parsed.format, 'agent-plan');
    assert.equal(parsed.name, 'Login Implementation Plan');
    assert.deepEqual(tree(parsed.tasks), [
      '1 [x] Password hashing',
      '1.1 [x] Step 1: Write the failing test ^1',
      '1.2 [x] Step 2: Run it to see it fail ^1',
      '2 [ ] Login endpoint',
      '2.1 [ ] Step 1: Write the endpoint ^2',
      '2.2 [ ] Step 2: Commit ^2',
    ]);
    assert.equal(byId(parsed.tasks, '1.1').description, '```python\ndef test_hash_roundtrip():\n    assert verify("pw", hash_password("pw"))\n```');
    assert.equal(byId(parsed.tasks, '1.2').description, 'Run: `pytest tests/auth/test_hash.py -v`\nExpected: FAIL with "hash_password is not defined"');
    assert.equal(
      byId(parsed.tasks, '2.1').description,
      '- validate the form\n- return 401 on a bad password\n\n```python\n@app.post("/login")\ndef login(form): ...\n```',
    );
    assert.equal(byId(parsed.tasks, '2.2').description, '', 'the Notes section is prose');
    const files = ['src/auth/hash.py', 'src/auth/__init__.py', 'tests/auth/test_hash.py'];
    assert.deepEqual(byId(parsed.tasks, '1').files, files);
    assert.deepEqual(byId(parsed.tasks, '1.1').files, files, 'steps change the files of their task');
    assert.deepEqual(byId(parsed.tasks, '2.1').files, []);
    assert.match(byId(parsed.tasks, '1').description, /^\*\*Files:\*\*\n- Create: `src\/auth\/hash\.py`/);
    assert.equal(byId(parsed.tasks, '1.1').source?.line, 18);
  });

  it('reads <task> blocks: name, files, action and done; verify only when it is one plain command (defect 3)', () => {
    const parsed = readTasksText(XML_PLAN, { file: '.planning/phases/01-auth/01-01-PLAN.md' });
    assert.equal(parsed.format, 'agent-plan');
    assert.deepEqual(tree(parsed.tasks), ['1 [ ] Create login endpoint', '2 [ ] Protect the dashboard', '3 [ ] Checkpoint: Login flow']);
    const [login, dashboard, checkpoint] = parsed.tasks;
    assert.deepEqual(login!.files, ['src/app/api/auth/login/route.ts', 'src/lib/auth.ts']);
    assert.deepEqual(login!.verify, ['npm test -- login']);
    assert.equal(
      login!.description,
      '<action>\n  Use jose for JWT (not jsonwebtoken - CommonJS issues).\n  Validate credentials against the users table.\n</action>\n<done>Valid credentials return a cookie, invalid ones 401</done>',
    );
    assert.deepEqual(dashboard!.verify, [], 'prose is never made a command');
    assert.match(dashboard!.description, /<verify>curl -I localhost:3000\/dashboard returns 307 to \/login<\/verify>/);
    assert.equal(checkpoint!.checkpoint, true);
    assert.match(checkpoint!.description, /<how-to-verify>Log in at \/login/);
    assert.equal(login!.source?.line, 13);
  });

  it('reads **Step N:** paragraphs as steps when a plan has no checkboxes', () => {
    const text =
      '# Plan\n\n### Task 1: Parser\n\nIntro.\n\n**Step 1: Write the test**\n\n```ts\ntest();\n```\n\n**Step 2: Make it pass**\n\nEdit `src/parser.ts`.\n';
    const parsed = readTasksText(text, { file: 'plan.md' });
    assert.equal(parsed.format, 'agent-plan');
    assert.deepEqual(tree(parsed.tasks), ['1 [ ] Parser', '1.1 [ ] Step 1: Write the test ^1', '1.2 [ ] Step 2: Make it pass ^1']);
    assert.equal(parsed.tasks[0]!.description, 'Intro.');
    assert.equal(parsed.tasks[1]!.description, '```ts\ntest();\n```');
    assert.equal(parsed.tasks[2]!.description, 'Edit `src/parser.ts`.');
  });
});
