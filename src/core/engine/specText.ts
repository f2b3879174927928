/**
 * Small text helpers of the spec readers: sections of parsed markdown blocks, plain heading text, bounded
 * lengths, code fences that quoted text cannot close, and decoding a (possibly cut) spec file.
 */
import type { Block } from '../parse/markdownBlocks';

/** The end (exclusive) of the section a heading opens: the next heading of its level or above. */
export function sectionEnd(blocks: readonly Block[], index: number, depth: number): number {
  for (let i = index + 1; i < blocks.length; i++) {
    const block = blocks[i];
    if (block?.type === 'heading' && block.depth <= depth) {
      return i;
    }
  }
  return blocks.length;
}

/** A heading's or title's text without emphasis and code marks. */
export function plainText(text: string): string {
  return text.replace(/[*_`]/g, '').trim();
}

export function bounded(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A code fence longer than any run of backticks in `text`, so the text cannot close it. */
export function fenceFor(text: string): string {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    run = text.charCodeAt(i) === 96 ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return '`'.repeat(Math.max(3, longest + 1));
}

/** UTF-8 text with LF line ends; a cut file loses its last, possibly partial, line. */
export function decodeText(bytes: Buffer, truncated: boolean): string {
  let text = bytes
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n');
  if (truncated) {
    const lastLine = text.lastIndexOf('\n');
    text = lastLine > 0 ? text.slice(0, lastLine) : text;
  }
  return text;
}
