import Papa from 'papaparse';

const EMAIL_HEADING = /^(e-?mail( address)?|이메일)$/i;
const NAME_HEADING = /^(name|full name|이름|성명)$/i;

/**
 * The file’s rows, numbered as a spreadsheet numbers them, read with papaparse: quoted fields, a byte order mark, either column order when a
 * heading names them. A row without both values is answered here; the rest go to the API, which judges each.
 */
export function readInviteeFile(text: string): { line: number; email: string; name: string }[] {
  const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: false });
  const lines = parsed.data;
  const first = (lines[0] ?? []).map((c) => c.trim());
  const emailAt = first.findIndex((c) => EMAIL_HEADING.test(c));
  const heading = emailAt >= 0;
  const nameAt = heading ? first.findIndex((c) => NAME_HEADING.test(c)) : 1;
  return lines
    .map((cells, i) => ({
      line: i + 1,
      email: (cells[heading ? emailAt : 0] ?? '').trim(),
      name: nameAt >= 0 ? (cells[nameAt] ?? '').trim() : '',
      blank: cells.every((c) => c.trim() === ''),
    }))
    .filter((r) => !r.blank && !(heading && r.line === 1))
    .map(({ line, email, name }) => ({ line, email, name }));
}

/**
 * Rows as the invitation route's CSV: `email,name`, one line per row and no heading, so the API's row n (it
 * numbers rows by line) is the nth row given. A line break inside a value would start a line of its own.
 */
export function inviteeCsv(rows: readonly { email: string; name: string }[]): string {
  return Papa.unparse(
    rows.map((r) => [r.email.replace(/[\r\n]+/g, ' '), r.name.replace(/[\r\n]+/g, ' ')]),
    { newline: '\n' },
  );
}
