import { parse } from 'csv-parse/sync';
import { CsvRecordParser, type CsvRecord } from '../../src/import/csv-record.parser';

/** Every record as { line, fields } (or the malformed reason), feeding `input` in chunks of `chunk` bytes. */
function records(input: string | Buffer, chunk = 1 << 20): { line: number; fields: string[] | string }[] {
  const out: { line: number; fields: string[] | string }[] = [];
  const parser = new CsvRecordParser(
    (r: CsvRecord) =>
      out.push({
        line: r.line,
        fields: r.malformed ?? Array.from({ length: r.count }, (_, i) => r.text(i)),
      }),
    { bufferBytes: 16 },
  );
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8');
  for (let i = 0; i < bytes.length; i += chunk) parser.push(bytes.subarray(i, i + chunk));
  parser.finish();
  return out;
}

describe('CsvRecordParser (RFC 4180, streaming)', () => {
  it('reads quoted, unquoted and empty fields, doubled quotes and CRLF', () => {
    const text = 'a,"b, c","say ""hi""",,NULL\r\n1,2,3,4,5\r\n';
    expect(records(text)).toEqual([
      { line: 1, fields: ['a', 'b, c', 'say "hi"', '', 'NULL'] },
      { line: 2, fields: ['1', '2', '3', '4', '5'] },
    ]);
  });

  it('gives the same records whatever the chunk boundaries, and counts quoted line breaks as lines', () => {
    const text = 'h1,h2\n"multi\nline",x\n"é ü","{""k"": ""v""}"\nlast,row';
    const whole = records(text);
    expect(whole).toEqual([
      { line: 1, fields: ['h1', 'h2'] },
      { line: 2, fields: ['multi\nline', 'x'] },
      { line: 4, fields: ['é ü', '{"k": "v"}'] },
      { line: 5, fields: ['last', 'row'] },
    ]);
    for (const chunk of [1, 2, 3, 5, 7]) expect(records(text, chunk)).toEqual(whole);
  });

  it('agrees with csv-parse on the shared FOCUS sample', () => {
    const fs = jest.requireActual<typeof import('node:fs')>('node:fs');
    const path = jest.requireActual<typeof import('node:path')>('node:path');
    const sample = fs.readFileSync(
      path.resolve(__dirname, '../../../shared/data/focus/focus-1.0-sample.csv'),
    );
    const expected = parse(sample, { relax_quotes: false }) as string[][];
    const got = records(sample, 4096).map((r) => r.fields);
    expect(got).toEqual(expected);
  });

  it('skips a byte order mark and blank lines; reads a last line without a line end', () => {
    expect(records(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\n\n1,2')]))).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['1', '2'] },
    ]);
  });

  it('reports text after a closing quote and an unclosed quote at the end, with their lines', () => {
    expect(records('a,b\n"x"y,2\n3,4\n"open,5')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: 'text after the closing quote of field 1' },
      { line: 3, fields: ['3', '4'] },
      { line: 4, fields: 'a quoted field is not closed before the end of the file' },
    ]);
  });
});
