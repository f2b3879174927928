/**
 * A Kiro task's prompt carries the acceptance criteria it cites: a small `.kiro/specs/x/` spec runs through
 * the built `aca` with the real `claude` CLI against the scripted model server, and the requests the server
 * recorded hold, for each task, the text of its cited criteria (and of none it does not cite).
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { anthropicPrompt, ModelServer } from '../support/modelServer';
import { runAca, scriptedClaudeEnv, useTempDirs } from '../support/processes';

const REQUIREMENTS = `# Requirements Document

## Introduction
A command-line unit converter for cooking.

## Requirements

### Requirement 1: Convert quantities
**User Story:** As a cook, I want to convert a quantity between units, so that I can follow foreign recipes.

#### Acceptance Criteria
1. WHEN the user runs \`convert 100 g oz\` THEN the system SHALL print CRITERION-1-1 ounces with two decimals.
2. WHEN a unit is unknown THEN the system SHALL print CRITERION-1-2 and exit with status 2.

### Requirement 2: Volumes
**User Story:** As a cook, I want volume conversions, so that I can measure liquids.

#### Acceptance Criteria
1. WHEN the user converts between cup and ml THEN the system SHALL use CRITERION-2-1 (1 cup = 236.588 ml).
2. WHEN the user converts mass to volume THEN the system SHALL refuse with CRITERION-2-2.
`;

const DESIGN = `# Design Document

## Overview
DESIGN-OVERVIEW: one table of units, one converter.

## Unit table
DESIGN-UNITS: \`units.py\` maps each unit to its dimension and a factor to the base unit.

## Errors
DESIGN-ERRORS: an unknown unit exits with status 2.
`;

const TASKS = `# Implementation Plan

- [ ] 1. Build the converter
  - [ ] 1.1 Add the volume table in \`units.py\`
    - _Requirements: 2.1_
  - [ ] 1.2 Reject unknown units with an error
    - _Requirements: 1.2_
`;

describe('spec context reaches the agent (aca run, real claude CLI)', function () {
  this.timeout(180_000);
  const dirs = useTempDirs('home', 'workspace');
  let server: ModelServer | undefined;
  afterEach(async () => server?.close());

  it('each Kiro task is sent the acceptance criteria it cites, with the design part about it', async () => {
    const spec = path.join(dirs.workspace, '.kiro', 'specs', 'x');
    await mkdir(spec, { recursive: true });
    await writeFile(path.join(spec, 'requirements.md'), REQUIREMENTS);
    await writeFile(path.join(spec, 'design.md'), DESIGN);
    await writeFile(path.join(spec, 'tasks.md'), TASKS);
    server = await ModelServer.start({
      turns: [
        { type: 'text', text: 'Done.' },
        { type: 'text', text: 'Done.' },
      ],
    });
    const run = await runAca(['run', '.kiro/specs/x/tasks.md', '--provider', 'claude-code', '--model', 'claude-sonnet-4-5', '-v'], {
      workspace: dirs.workspace,
      home: dirs.home,
      timeoutMs: 150_000,
      env: scriptedClaudeEnv(server.baseUrl),
    });
    assert.equal(run.exitCode, 0, `exit ${run.exitCode}\nstderr:\n${run.stderr.slice(-3000)}`);
    const prompts = server.modelRequests.map((r) => anthropicPrompt(r) ?? '').filter((p) => p.includes('# Task 1.'));
    const promptOf = (id: string): string => {
      const found = prompts.find((p) => p.includes(`# Task ${id}:`));
      assert.ok(found, `a request carried task ${id}'s prompt; prompts seen:\n${prompts.map((p) => p.slice(0, 80)).join('\n')}`);
      return found;
    };

    const volumes = promptOf('1.1');
    assert.match(volumes, /Acceptance criteria this task must meet \(from \.kiro\/specs\/x\/requirements\.md\)/);
    assert.match(volumes, /### Requirement 2: Volumes\n\*\*User Story:\*\* As a cook, I want volume conversions/);
    assert.match(volumes, /- 2\.1 WHEN the user converts between cup and ml THEN the system SHALL use CRITERION-2-1/);
    assert.match(volumes, /DESIGN-UNITS/);
    for (const other of ['CRITERION-1-1', 'CRITERION-1-2', 'CRITERION-2-2', 'DESIGN-ERRORS']) {
      assert.ok(!volumes.includes(other), `task 1.1 does not cite ${other}`);
    }

    const errors = promptOf('1.2');
    assert.match(errors, /- 1\.2 WHEN a unit is unknown THEN the system SHALL print CRITERION-1-2/);
    assert.match(errors, /DESIGN-ERRORS/);
    for (const other of ['CRITERION-1-1', 'CRITERION-2-1', 'CRITERION-2-2']) {
      assert.ok(!errors.includes(other), `task 1.2 does not cite ${other}`);
    }
  });
});
