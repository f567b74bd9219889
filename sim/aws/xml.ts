// XML in and out, through fast-xml-parser. Values stay strings (keys like "0001" must not become numbers).

import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { AwsError } from './errors.ts';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_' });

/** `<?xml ...?><root xmlns=...>body</root>`; undefined members are left out. */
export function buildXml(root: string, body: Record<string, unknown> | string, xmlns?: string): string {
  const content = typeof body === 'string' ? { '#text': body } : body;
  const rootNode = xmlns ? { '@_xmlns': xmlns, ...content } : content;
  return builder.build({ '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' }, [root]: rootNode });
}

const parsers = new Map<string, XMLParser>();

function parserFor(arrayElements: readonly string[]): XMLParser {
  const key = arrayElements.join('\0');
  let parser = parsers.get(key);
  if (!parser) {
    const arrays = new Set(arrayElements);
    parser = new XMLParser({
      ignoreAttributes: true,
      removeNSPrefix: true,
      parseTagValue: false,
      trimValues: false,
      isArray: (name) => arrays.has(name),
    });
    parsers.set(key, parser);
  }
  return parser;
}

/**
 * Parse a request body. Malformed XML, or a root element other than the expected one, is S3's
 * MalformedXML. Repeating elements listed in `arrayElements` always come back as arrays.
 */
export function parseXmlBody(
  text: string,
  rootElement: string,
  arrayElements: readonly string[] = [],
): Record<string, unknown> {
  const malformed = new AwsError(
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
    400,
  );
  if (!text.trim() || XMLValidator.validate(text) !== true) throw malformed;
  let parsed: Record<string, unknown>;
  try {
    parsed = parserFor(arrayElements).parse(text) as Record<string, unknown>;
  } catch {
    throw malformed;
  }
  const root = parsed[rootElement];
  if (root === undefined) throw malformed;
  if (typeof root !== 'object' || root === null) return {};
  return root as Record<string, unknown>;
}

/** Text content of a parsed element, or undefined when it is not a plain text element. */
export function xmlText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && '#text' in value) {
    const text = (value as Record<string, unknown>)['#text'];
    return typeof text === 'string' ? text : undefined;
  }
  return undefined;
}

/** An element that may be repeated, as an array of objects (non-object entries dropped). */
export function xmlObjects(value: unknown): Record<string, unknown>[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null);
}
