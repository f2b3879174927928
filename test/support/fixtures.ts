import path from 'node:path';
import { REPO_ROOT } from './processes';

/** ../shared/fixtures beside the checkout (read-only, shared with CI); $ACA_SHARED_FIXTURES overrides. */
export const SHARED_FIXTURES = process.env['ACA_SHARED_FIXTURES'] ?? path.resolve(REPO_ROOT, '..', 'shared', 'fixtures');
export const SEED_RESOURCES = path.join(SHARED_FIXTURES, 'seed', 'tests', 'resources');
export const LOCAL_FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

/** The seed's test4: five tasks, each creating one file; what an agent writes for each, in order. */
export const TEST4_TASKS = path.join(SEED_RESOURCES, 'test4-multi-task', 'tasks.md');
export const TEST4_FILES: ReadonlyArray<readonly [string, string]> = [
  ['hello.py', 'print("Hello World")\n'],
  ['config.json', '{ "api": { "base_url": "http://localhost", "timeout": 30 } }\n'],
  ['run.sh', '#!/bin/sh\npython3 hello.py\n'],
  ['.gitignore', '__pycache__/\n*.pyc\n.venv/\n'],
  ['requirements.txt', 'requests\n'],
];
