/**
 * The README Options tables, rendered from the option table in options.ts. Not part of the
 * published entry: scripts/options-table.mjs writes the READMEs with it, and
 * packages/test-utils/test/readme-options.test.ts fails when one differs.
 *
 * A README holds a rendered table between two markers; `except` names the core options that
 * package documents by hand (the store it replaces gives them another meaning) or does not take:
 *
 *   <!-- options-table except="ttlMs, serializer" ... -->
 *
 *   | option | type | default | meaning |
 *   ...
 *
 *   <!-- /options-table -->
 */
import { OPTIONS, OPTION_NAMES, type OptionDescriptor, showMs } from './options';

const MARKER = /(<!-- options-table(?: except="([^"]*)")?[^>]*-->\n)([\s\S]*?)(<!-- \/options-table -->)/g;

export interface RenderOptions {
  /** Core options left out of this table. */
  readonly except?: readonly string[];
  /** Where the core README's `#anchor` links point from this README: '' in the core's own. */
  readonly linkBase?: string;
}

/** One table cell: pipes escaped, links to the core README's sections made relative. */
function cell(markdown: string, linkBase: string): string {
  return markdown.replaceAll('|', '\\|').replaceAll('](#', `](${linkBase}#`);
}

/** The default as shown: the doc's words, else the constant itself. */
export function shownDefault(name: (typeof OPTION_NAMES)[number]): string {
  const option = OPTIONS[name] as OptionDescriptor<unknown>;
  if (option.doc.default !== undefined) return option.doc.default;
  if (option.derive) throw new Error(`Option "${name}" derives its default: its doc needs the default in words.`);
  const value = option.default;
  if (value === undefined) return '—';
  if (typeof value === 'number' && option.doc.type === 'number (ms)') return showMs(value);
  return typeof value === 'string' ? `\`'${value}'\`` : `\`${String(value)}\``;
}

/** The Options table (header included) of the core options, in the table's order. */
export function renderOptionsTable({ except = [], linkBase = '' }: RenderOptions = {}): string {
  const unknown = except.filter((name) => !(OPTION_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`Not core options: ${unknown.join(', ')}`);
  const rows = OPTION_NAMES.filter((name) => !except.includes(name)).map((name) => {
    const { doc } = OPTIONS[name] as OptionDescriptor<unknown>;
    const cells = [`\`${name}\``, doc.type, shownDefault(name), doc.text].map((text) => cell(text, linkBase));
    return `| ${cells.join(' | ')} |`;
  });
  return ['| option | type | default | meaning |', '| --- | --- | --- | --- |', ...rows, ''].join('\n');
}

export interface OptionsBlock {
  readonly except: readonly string[];
  /** The table as the README has it. */
  readonly actual: string;
  /** The table as the option table renders it. */
  readonly expected: string;
}

/** Between the markers: the table, with a blank line either side so that Markdown keeps it apart from them. */
function blockContent(options: RenderOptions): string {
  return `\n${renderOptionsTable(options)}\n`;
}

function exceptList(attribute: string | undefined): string[] {
  return (attribute ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** The rendered tables of a README, each with what it should be. */
export function optionsBlocks(readme: string, linkBase: string): OptionsBlock[] {
  return [...readme.matchAll(MARKER)].map((match) => {
    const except = exceptList(match[2]);
    return { except, actual: match[3]!, expected: blockContent({ except, linkBase }) };
  });
}

/** The README with each rendered table brought up to date. */
export function updateOptionsBlocks(readme: string, linkBase: string): string {
  return readme.replace(
    MARKER,
    (_whole, opening: string, except: string | undefined, _table: string, closing: string) =>
      opening + blockContent({ except: exceptList(except), linkBase }) + closing,
  );
}
