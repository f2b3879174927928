/**
 * A small block tree over markdown-it's CommonMark + GFM token stream: headings, lists and their items,
 * and the other blocks, each with its 0-based line range, plus the inline source of headings and
 * paragraphs (container prefixes removed, inline markup kept as written).
 *
 * markdown-it rather than micromark: measured on a generated 5.5 MB tasks file, markdown-it parses in
 * about 0.5 s and linearly; micromark took over 20 s and grows quadratically with nested lists.
 */
import MarkdownIt from 'markdown-it';
import type Token from 'markdown-it/lib/token.mjs';

export type Block = HeadingBlock | ListBlock | ParagraphBlock | OtherBlock;

interface Lines {
  /** First line, 0-based. */
  readonly start: number;
  /** One past the last line. */
  readonly end: number;
}

export interface HeadingBlock extends Lines {
  readonly type: 'heading';
  readonly depth: number;
  readonly text: string;
}

export interface ParagraphBlock extends Lines {
  readonly type: 'paragraph';
  /** The paragraph's source without container prefixes (list markers, indentation, `>`). */
  readonly text: string;
  readonly links: readonly string[];
}

export interface ListBlock extends Lines {
  readonly type: 'list';
  readonly ordered: boolean;
  readonly items: ListItemBlock[];
}

export interface ListItemBlock extends Lines {
  readonly type: 'listItem';
  readonly children: Block[];
}

export interface OtherBlock extends Lines {
  readonly type: 'code' | 'html' | 'table' | 'blockquote' | 'rule';
  readonly children: Block[];
  readonly links: readonly string[];
}

const markdown = new MarkdownIt('commonmark').enable(['table', 'strikethrough']);
// Inline markup is parsed only where a link can be (linksOf): for every paragraph it made most of the
// parse's time and garbage. text_join works on the inline children, so it goes too.
markdown.core.ruler.disable(['inline', 'text_join']);
/** Blocks without links share this one (never written to): one array less per paragraph. */
const NO_LINKS: readonly string[] = Object.freeze([]);

/** Chunks are about this long; each is parsed on its own so that work stays linear in the file size. */
const CHUNK_CHARS = 64 * 1024;
/**
 * A link reference definition (`[id]: url`) applies to the whole document: such files are parsed whole.
 * A label holds no unescaped bracket, so each try stops at the next `[`: linear (`[^\]]+` ran to the end
 * of the file from every line that opens a bracket).
 */
const DEFINITION = /^ {0,3}\[(?:[^[\]\\]|\\[\s\S])+\]:/m;

/** Parses markdown into top-level blocks. */
export function parseBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  for (const chunk of parseBlockChunks(text)) {
    // A loop, not push(...): a chunk may hold more blocks than a call has room for arguments.
    for (const block of chunk) {
      blocks.push(block);
    }
  }
  return blocks;
}

/**
 * The top-level blocks chunk by chunk, each chunk starting at a heading (but the first), parsed only when
 * asked for: a reader that is done with a chunk's blocks lets them go while they are young, which keeps
 * the garbage collector's work in a large file proportional to its size.
 */
export function* parseBlockChunks(text: string): Generator<Block[]> {
  if (text.length <= CHUNK_CHARS || DEFINITION.test(text)) {
    yield parseChunk(text, 0);
    return;
  }
  for (const chunk of chunksAtHeadings(text)) {
    yield parseChunk(chunk.text, chunk.line);
  }
}

/**
 * Splits before column-0 ATX headings, outside fenced code and HTML comments. A heading ends every
 * paragraph and list, so each chunk parses exactly as it does inside the whole document.
 */
export function splitAtHeadings(text: string): Array<{ text: string; line: number }> {
  return [...chunksAtHeadings(text)];
}

/**
 * splitAtHeadings, one chunk at a time. Lines are read in place and chunks are slices of the text: no
 * array of every line, no joined copy, to outlive the chunks the reader has let go.
 */
function* chunksAtHeadings(text: string): Generator<{ text: string; line: number }> {
  let chunkStart = 0;
  let chunkLine = 0;
  let size = 0;
  let fence: string | undefined;
  let inComment = false;
  let lineStart = 0;
  for (let i = 0; lineStart <= text.length; i++) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd);
    if (fence !== undefined) {
      if (line.trimStart().startsWith(fence) && /^ {0,3}(`{3,}|~{3,})\s*$/.test(line)) {
        fence = undefined;
      }
    } else if (inComment) {
      inComment = !line.includes('-->');
    } else {
      const opening = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (opening !== undefined) {
        fence = opening.charAt(0).repeat(opening.length);
      } else if (/^ {0,3}<!--/.test(line) && !line.includes('-->')) {
        inComment = true;
      } else if (size >= CHUNK_CHARS && /^#{1,6}(\s|$)/.test(line)) {
        // Without the newline before the heading, as the lines joined would be.
        yield { text: text.slice(chunkStart, lineStart - 1), line: chunkLine };
        chunkStart = lineStart;
        chunkLine = i;
        size = 0;
      }
    }
    size += line.length + 1;
    lineStart = lineEnd + 1;
  }
  yield { text: text.slice(chunkStart), line: chunkLine };
}

// One pass over markdown-it's token stream with a stack of open lists and items: its cases read the same
// state, so it stays one function (87 lines) rather than handing that state around.
function parseChunk(text: string, lineOffset: number): Block[] {
  const env: { references?: Record<string, unknown> } = {};
  const tokens = markdown.parse(text, env);
  const root: Block[] = [];
  // Each open container (list, item, blockquote, table) collects the blocks inside it.
  const rootFrame: { children: Block[]; block?: ListBlock | ListItemBlock | OtherBlock } = { children: root };
  const stack = [rootFrame];
  // markdown-it's open and close tokens pair up, so the root frame is never popped.
  const top = (): typeof rootFrame => stack[stack.length - 1] ?? rootFrame;
  // Plain fields, not a spread of a { start, end } object: one object less per block of a 5 MB file.
  const startOf = (token: Token): number => (token.map?.[0] ?? 0) + lineOffset;
  const endOf = (token: Token): number => (token.map ? token.map[1] + lineOffset : startOf(token) + 1);

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === undefined) {
      break;
    }
    switch (token.type) {
      case 'heading_open': {
        const inline = tokens[i + 1];
        top().children.push({ type: 'heading', depth: Number(token.tag.slice(1)), text: inline?.content ?? '', start: startOf(token), end: endOf(token) });
        i += 2;
        break;
      }
      case 'paragraph_open': {
        const inline = tokens[i + 1];
        top().children.push({
          type: 'paragraph',
          text: inline?.content ?? '',
          links: linksOf(inline?.content ?? '', env),
          start: startOf(token),
          end: endOf(token),
        });
        i += 2;
        break;
      }
      case 'bullet_list_open':
      case 'ordered_list_open': {
        const list: ListBlock = { type: 'list', ordered: token.type === 'ordered_list_open', items: [], start: startOf(token), end: endOf(token) };
        top().children.push(list);
        stack.push({ children: [], block: list });
        break;
      }
      case 'list_item_open': {
        const item: ListItemBlock = { type: 'listItem', children: [], start: startOf(token), end: endOf(token) };
        (top().block as ListBlock).items.push(item);
        stack.push({ children: item.children, block: item });
        break;
      }
      case 'blockquote_open':
      case 'table_open': {
        const block: OtherBlock = {
          type: token.type === 'table_open' ? 'table' : 'blockquote',
          children: [],
          links: NO_LINKS,
          start: startOf(token),
          end: endOf(token),
        };
        top().children.push(block);
        stack.push({ children: block.children, block });
        break;
      }
      case 'bullet_list_close':
      case 'ordered_list_close':
      case 'list_item_close':
      case 'blockquote_close':
      case 'table_close':
        stack.pop();
        break;
      case 'fence':
      case 'code_block':
        top().children.push({ type: 'code', children: [], links: NO_LINKS, start: startOf(token), end: endOf(token) });
        break;
      case 'html_block':
        top().children.push({ type: 'html', children: [], links: NO_LINKS, start: startOf(token), end: endOf(token) });
        break;
      case 'hr':
        top().children.push({ type: 'rule', children: [], links: NO_LINKS, start: startOf(token), end: endOf(token) });
        break;
      default:
        // Table rows and cells stay inside their table; nothing in them is a task.
        break;
    }
  }
  return root;
}

/**
 * The link targets of a paragraph's inline source. An inline link needs `](`; a reference link
 * (`[text][id]`, `[id]`) needs a definition in the document (`env.references`) and a `[`.
 */
function linksOf(content: string, env: { references?: Record<string, unknown> }): readonly string[] {
  const hasDefinitions = env.references !== undefined && Object.keys(env.references).length > 0;
  if (!content.includes('](') && !(hasDefinitions && content.includes('['))) {
    return NO_LINKS;
  }
  const children: Token[] = [];
  markdown.inline.parse(content, markdown, env, children);
  const links: string[] = [];
  for (const child of children) {
    if (child.type === 'link_open') {
      const href = child.attrGet('href');
      if (href) {
        links.push(href);
      }
    }
  }
  return links.length > 0 ? links : NO_LINKS;
}

/** Every block below (and including) the given ones, depth first. */
export function* walkBlocks(blocks: readonly Block[]): Generator<Block | ListItemBlock> {
  for (const block of blocks) {
    yield block;
    if (block.type === 'list') {
      for (const item of block.items) {
        yield item;
        yield* walkBlocks(item.children);
      }
    } else if (block.type !== 'heading' && block.type !== 'paragraph') {
      yield* walkBlocks(block.children);
    }
  }
}
