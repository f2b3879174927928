import path from 'node:path';
import { REPO_ROOT } from './processes';

/** ../shared/fixtures beside the checkout (read-only, shared with CI); $ACA_SHARED_FIXTURES overrides. */
export const SHARED_FIXTURES = process.env['ACA_SHARED_FIXTURES'] ?? path.resolve(REPO_ROOT, '..', 'shared', 'fixtures');
export const SEED_RESOURCES = path.join(SHARED_FIXTURES, 'seed', 'tests', 'resources');
export const LOCAL_FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
