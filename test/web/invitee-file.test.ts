import { inviteeCsv, readInviteeFile } from '../../web/src/console/companies/invitee-file';

describe('the invitee file', () => {
  it('reads e-mail and name by their headings, in either order, skipping blank lines', () => {
    expect(
      readInviteeFile(
        '\uFEFFName,E-mail,Team\r\n"Kim, Minji",minji@example.com,Ops\r\n\r\nLee,lee@example.com,HR\r\n',
      ),
    ).toEqual([
      { line: 2, email: 'minji@example.com', name: 'Kim, Minji' },
      { line: 4, email: 'lee@example.com', name: 'Lee' },
    ]);
  });

  it('takes e-mail then name without a heading, and keeps rows that lack one for the screen to refuse', () => {
    expect(readInviteeFile('a@example.com,Ann\nb@example.com\n,Nobody\n')).toEqual([
      { line: 1, email: 'a@example.com', name: 'Ann' },
      { line: 2, email: 'b@example.com', name: '' },
      { line: 3, email: '', name: 'Nobody' },
    ]);
  });

  it('writes one line per invitee, quoted where needed, so the API’s row n is the nth invitee', () => {
    const csv = inviteeCsv([
      { email: 'a@example.com', name: 'Kim, "Ann"' },
      { email: 'b@example.com', name: 'two\nlines' },
    ]);
    expect(csv.split('\n')).toEqual(['a@example.com,"Kim, ""Ann"""', 'b@example.com,two lines']);
  });
});
