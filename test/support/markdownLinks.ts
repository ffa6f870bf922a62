/**
 * Reading a Markdown page's links and headings as GitHub shows them, for the
 * tests that check the README's and the guides' links.
 */
import { marked, type Tokens } from 'marked';

/** Every link and image target of a Markdown text, as a Markdown renderer reads them. */
export function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  marked.walkTokens(marked.lexer(markdown), (token) => {
    if (token.type === 'link' || token.type === 'image') targets.push((token as Tokens.Link | Tokens.Image).href);
  });
  return targets;
}

/** GitHub's anchor for a heading. */
export const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** The anchors of a Markdown text's headings (not of lines in code blocks that start with `#`). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  marked.walkTokens(marked.lexer(markdown), (token) => {
    if (token.type === 'heading') anchors.add(slug((token as Tokens.Heading).text));
  });
  return anchors;
}
