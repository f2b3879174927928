import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROVIDER_NAMES } from '../../src/core/model/provider';
import { REPO_ROOT } from '../support/processes';

/** The README's settings table: the first cell of each row, split where a row names several settings. */
function settingsInReadme(): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('| setting | default | what |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  return rows.flatMap((row) => {
    const cell = row.split('|')[1] ?? '';
    const names = [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
    // `aca.run.budget.maxCostUsd`, `.maxTokens`: a name starting with a dot continues the first one's prefix.
    const first = names[0] ?? '';
    return names.map((name) => (name.startsWith('.') ? first.slice(0, first.lastIndexOf('.')) + name : name));
  });
}

describe('README', () => {
  const packageJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { enum?: string[] }> } };
  };
  const settings = Object.keys(packageJson.contributes.configuration.properties);

  it('lists every setting of package.json in its settings table, and no other', () => {
    assert.ok(settings.length >= 20, 'package.json has settings to compare');
    const listed = settingsInReadme();
    assert.deepEqual(
      settings.filter((s) => !listed.includes(s)),
      [],
      'missing from the README',
    );
    assert.deepEqual(
      listed.filter((s) => !settings.includes(s)),
      [],
      'in the README but not a setting',
    );
  });

  it('names every provider in the row of aca.provider', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const row = readme.split('\n').find((line) => line.startsWith('| `aca.provider` |')) ?? '';
    assert.deepEqual(
      PROVIDER_NAMES.filter((name) => !row.includes(`\`${name}\``)),
      [],
    );
  });
});
