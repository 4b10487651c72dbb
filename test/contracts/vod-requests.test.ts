import * as contract from '#contracts/vod-requests';

describe('upload contract', () => {
  it('hands the domain numbers from the query string', () => {
    expect(contract.partUrlsQueryString.parse({ from: '1', to: '3' })).toEqual({ from: 1, to: 3 });
    expect(contract.partUrlsQueryString.safeParse({ from: '1', to: '3', x: '1' }).success).toBe(false);
  });
});
