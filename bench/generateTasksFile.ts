/** A tasks file of `items` list items, about 50 bytes each, mixing every form the parser reads. */
export function generateTasksFile(items: number): string {
  const lines: string[] = ['# Generated plan', ''];
  let written = 0;
  let section = 0;
  while (written < items) {
    section++;
    lines.push(`## ${section % 5 === 0 ? 'High Priority' : `Section ${section}`}`, '');
    for (let i = 0; i < 20 && written < items; i++) {
      const n = written;
      switch (n % 5) {
        case 0:
          lines.push(`- [ ] ${section}.${i} Implement feature ${n} in \`mod${n}.ts\``);
          break;
        case 1:
          lines.push(`  - [x] Subtask ${n} with «unicode» ✓ -> docs/spec${n}.md`);
          break;
        case 2:
          lines.push(`  - plain detail line for item ${n}, kept as description`);
          break;
        case 3:
          lines.push(`  - _Requirements: ${section}.${i}, ${section}.${i + 1}_`);
          break;
        default:
          lines.push(`- [-] Task ${n} in progress, see [notes](notes/${n}.md)`);
      }
      written++;
    }
    lines.push('', '```', '- [ ] not a task: code', '```', '');
  }
  return lines.join('\n');
}
