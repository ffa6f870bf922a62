/**
 * A small, strict XML reader for TwiML in tests: one root element, quoted
 * attributes without duplicates, matching end tags, the five predefined
 * entities and character references. Anything else throws, so a test that
 * parses an answer also proves it is well-formed XML.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
}

export type XmlNode = XmlElement | { text: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

class XmlReader {
  private position = 0;

  constructor(private readonly source: string) {}

  document(): XmlElement {
    this.skipSpace();
    if (this.source.startsWith('<?xml', this.position)) {
      const end = this.source.indexOf('?>', this.position);
      if (end === -1) this.fail('unterminated XML declaration');
      const declaration = this.source.slice(this.position, end);
      if (!/^<\?xml version="1\.0"( encoding="UTF-8")?$/.test(declaration)) this.fail('unexpected XML declaration');
      this.position = end + 2;
    }
    this.skipSpace();
    const root = this.element();
    this.skipSpace();
    if (this.position !== this.source.length) this.fail('content after the root element');
    return root;
  }

  private element(): XmlElement {
    this.expect('<');
    const name = this.name();
    const attributes: Record<string, string> = {};
    for (;;) {
      const hadSpace = this.skipSpace();
      if (this.source.startsWith('/>', this.position)) {
        this.position += 2;
        return { name, attributes, children: [] };
      }
      if (this.source.startsWith('>', this.position)) {
        this.position += 1;
        break;
      }
      if (!hadSpace) this.fail('expected space before an attribute');
      const attribute = this.name();
      if (Object.hasOwn(attributes, attribute)) this.fail(`repeated attribute ${attribute}`);
      this.skipSpace();
      this.expect('=');
      this.skipSpace();
      const quote = this.source.charAt(this.position);
      if (quote !== '"' && quote !== "'") this.fail('unquoted attribute value');
      const end = this.source.indexOf(quote, this.position + 1);
      if (end === -1) this.fail('unterminated attribute value');
      const raw = this.source.slice(this.position + 1, end);
      if (raw.includes('<')) this.fail('"<" in an attribute value');
      attributes[attribute] = this.decode(raw);
      this.position = end + 1;
    }
    const children: XmlNode[] = [];
    for (;;) {
      if (this.position >= this.source.length) this.fail(`unterminated element ${name}`);
      if (this.source.startsWith('</', this.position)) {
        this.position += 2;
        const closing = this.name();
        if (closing !== name) this.fail(`</${closing}> closes <${name}>`);
        this.skipSpace();
        this.expect('>');
        return { name, attributes, children };
      }
      if (this.source.startsWith('<', this.position)) {
        if (/^<[!?]/.test(this.source.slice(this.position, this.position + 2)))
          this.fail('comments and PIs are not expected');
        children.push(this.element());
        continue;
      }
      const next = this.source.indexOf('<', this.position);
      const end = next === -1 ? this.source.length : next;
      children.push({ text: this.decode(this.source.slice(this.position, end)) });
      this.position = end;
    }
  }

  private name(): string {
    const match = NAME.exec(this.source.slice(this.position));
    if (match === null) this.fail('expected a name');
    this.position += match[0].length;
    return match[0];
  }

  private decode(raw: string): string {
    return raw.replace(/&([^;]*);|&/g, (whole, entity: string | undefined) => {
      if (entity === undefined) this.fail('bare "&"');
      if (Object.hasOwn(ENTITIES, entity)) return ENTITIES[entity] as string;
      const numeric = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(entity);
      if (numeric === null) this.fail(`unknown entity ${whole}`);
      return String.fromCodePoint(numeric[1] !== undefined ? Number.parseInt(numeric[1], 16) : Number(numeric[2]));
    });
  }

  private skipSpace(): boolean {
    const start = this.position;
    while (/\s/.test(this.source.charAt(this.position))) this.position += 1;
    return this.position > start;
  }

  private expect(text: string): void {
    if (!this.source.startsWith(text, this.position)) this.fail(`expected "${text}"`);
    this.position += text.length;
  }

  private fail(message: string): never {
    throw new Error(`XML: ${message} at ${this.position}`);
  }
}

/** Parses an XML document strictly; throws on anything malformed. */
export function parseXml(source: string): XmlElement {
  return new XmlReader(source).document();
}

/** The child elements of an element. */
export function elementsOf(element: XmlElement): XmlElement[] {
  return element.children.filter((child): child is XmlElement => 'name' in child);
}

/** The text of an element. */
export function textOf(element: XmlElement): string {
  return element.children.map((child) => ('text' in child ? child.text : textOf(child))).join('');
}
