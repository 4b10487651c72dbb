// Starting embedded PostgreSQL and applying migrations takes seconds on a busy 2-core machine.
jest.setTimeout(30000);
