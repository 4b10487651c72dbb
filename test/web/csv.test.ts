import { csvCell, toCsv } from '../../web/src/ui/csv';

describe('CSV export', () => {
  it('quotes what RFC 4180 needs quoted and ends lines with CRLF after a byte order mark', () => {
    expect(
      toCsv(
        ['name', 'note'],
        [
          ['Kim, Ji-woo', 'said "hi"'],
          ['Lee', 'two\nlines'],
        ],
      ),
    ).toBe('\uFEFFname,note\r\n"Kim, Ji-woo","said ""hi"""\r\nLee,"two\nlines"\r\n');
  });

  it.each([
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
  ])('keeps the text %j from running as a formula', (text, cell) => {
    expect(csvCell(text)).toBe(cell);
  });

  it('writes numbers as they are, negative ones too, and nothing for empty values', () => {
    expect([csvCell(-3), csvCell(12.5), csvCell(null), csvCell(undefined), csvCell(0)]).toEqual([
      '-3',
      '12.5',
      '',
      '',
      '0',
    ]);
  });
});
