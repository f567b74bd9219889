// Checks the report tests make of a junit.xml: valid against the JUnit format Jenkins accepts (with xmllint, as
// WebAssembly), and counts that agree at every level.

import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { validateXML } from 'xmllint-wasm';

const JUNIT_XSD = readFileSync(new URL('./fixtures/junit-report.xsd', import.meta.url), 'utf8');

/** xmllint's complaints about the document; none when it is valid against junit-report.xsd. */
export async function junitSchemaErrors(xml: string): Promise<string[]> {
  const result = await validateXML({
    xml: [{ fileName: 'junit.xml', contents: xml }],
    schema: [{ fileName: 'junit-report.xsd', contents: JUNIT_XSD }],
  });
  return result.valid ? [] : result.errors.map((error) => error.rawMessage);
}

export interface ParsedCase {
  name: string;
  classname: string;
  time: string;
  skipped?: { message?: string };
  failure?: { message?: string; type?: string; '#text'?: string };
  error?: { message?: string; type?: string; '#text'?: string };
  'system-out'?: string;
}

export interface ParsedSuite {
  name: string;
  tests: string;
  failures: string;
  errors: string;
  skipped?: string;
  file?: string;
  properties?: { property: Array<{ name: string; value: string }> };
  testcase?: ParsedCase[];
}

export interface ParsedJunit {
  name: string;
  tests: string;
  failures: string;
  errors: string;
  time: string;
  skipped?: string;
  timestamp?: string;
  testsuite?: ParsedSuite[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // An empty <skipped message=""/> still reads as an object.
  alwaysCreateTextNode: false,
  isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
});

export function parseJunit(xml: string): ParsedJunit {
  return parser.parse(xml).testsuites as ParsedJunit;
}

export function propertiesOf(suite: ParsedSuite): Record<string, string> {
  return Object.fromEntries((suite.properties?.property ?? []).map((p) => [p.name, p.value]));
}

type Counts = { tests: number; failures: number; errors: number; skipped: number };

/**
 * Where the counts disagree: each testsuite's tests/failures/errors/skipped against its testcases,
 * and the root's tests/failures/errors against the sums of its testsuites. Empty when they agree.
 */
export function countMismatches(junit: ParsedJunit): string[] {
  const problems: string[] = [];
  const sum: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const suite of junit.testsuite ?? []) {
    const cases = suite.testcase ?? [];
    const actual: Counts = {
      tests: cases.length,
      failures: cases.filter((c) => c.failure !== undefined).length,
      errors: cases.filter((c) => c.error !== undefined).length,
      skipped: cases.filter((c) => c.skipped !== undefined).length,
    };
    for (const key of Object.keys(actual) as Array<keyof Counts>) {
      const stated = Number(suite[key] ?? 0);
      if (stated !== actual[key]) {
        problems.push(`testsuite ${suite.name}: ${key}="${suite[key]}" but it has ${actual[key]}`);
      }
      sum[key] += stated;
    }
  }
  for (const key of ['tests', 'failures', 'errors'] as const) {
    if (Number(junit[key]) !== sum[key]) {
      problems.push(`testsuites: ${key}="${junit[key]}" but its testsuites add up to ${sum[key]}`);
    }
  }
  return problems;
}
